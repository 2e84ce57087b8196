"""隐患整改台账 as an .xlsx workbook, laid out like the paper ledger utilities keep."""

import datetime as dt
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from heatline.inspections.models import Campaign, RectificationItem

OVERDUE_FILL = PatternFill("solid", fgColor="FDECEA")
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def ledger_workbook(*, campaign: Campaign, items: list[RectificationItem], today: dt.date) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("隐患整改台账")
    headers = [
        _("序号"),
        _("排查区域"),
        _("资产类型"),
        _("资产"),
        _("隐患描述"),
        _("类型"),
        _("发现人"),
        _("发现时间"),
        _("现场整改"),
        _("整改责任人"),
        _("整改期限"),
        _("进度(%)"),
        _("状态"),
        _("是否超期"),
        _("整改结果"),
        _("完成时间"),
    ]
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.cell(row=1, column=1, value=f"{campaign.name} — {_('隐患整改台账')}").font = Font(
        bold=True, size=14
    )
    sheet.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    sheet.cell(row=2, column=1, value=_("导出日期:%(day)s") % {"day": today.isoformat()})
    for column, title in enumerate(headers, start=1):
        cell = sheet.cell(row=3, column=column, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, item in enumerate(items, start=1):
        finding = item.finding
        overdue = item.is_overdue_on(today)
        values: list[str | int] = [
            index,
            item.campaign_area.hazard_area.name,
            item.get_asset_type_display(),
            item.asset_label,
            item.description,
            item.get_kind_display(),
            str(finding.recorded_by) if finding else "",
            timezone.localtime(finding.recorded_at).strftime("%Y-%m-%d %H:%M") if finding else "",
            _("是") if finding and finding.is_fixed_on_spot else _("否"),
            str(item.responsible) if item.responsible else "",
            item.due_on.isoformat() if item.due_on else "",
            item.progress,
            item.get_status_display(),
            _("超期") if overdue else "",
            item.result,
            timezone.localtime(item.completed_at).strftime("%Y-%m-%d %H:%M") if item.completed_at else "",
        ]
        row = index + 3
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=value)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if overdue:
                cell.fill = OVERDUE_FILL
    widths = [6, 22, 12, 24, 36, 10, 10, 17, 9, 12, 12, 8, 9, 8, 36, 17]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A4"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
