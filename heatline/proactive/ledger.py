"""Import of last season's 测温台账 (第四条.1): read .xlsx/.csv row by row, report bad rows, import on confirmation.

Reading and checking never writes; `ledger_commit` writes the good rows in one transaction. Each reading
has a dedupe key (household, date/time, room), so importing the same file twice adds nothing.
"""

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.bulk import insert_rows
from heatline.core.errors import InvalidInput
from heatline.core.models import HeatingSeason
from heatline.core.tabular import parse_when, raw_rows, text
from heatline.proactive.models import ImportStatus, LedgerImport, Reading, ReadingSource
from heatline.proactive.refunds import LEDGER_NOT_COUNTING
from heatline.registry.models import Household, Staff
from heatline.registry.scoping import visible_district_ids
from heatline.requests.models import Cause

HEADERS = ("户号", "地址", "测温日期", "房间", "温度", "原因")
TEMPERATURE_MIN = Decimal(-10)
TEMPERATURE_MAX = Decimal(40)
PROGRESS_EVERY = 5000
MAX_STORED_ERRORS = 2000

Progress = Callable[[int, int], None]
READING_COLUMNS = (
    "household_id",
    "season_id",
    "source",
    "measured_on",
    "measured_at",
    "room",
    "temperature",
    "cause_id",
    "cause_text",
    "instrument_id",
    "is_calibrated",
    "counts_for_refund",
    "not_counting_reason",
    "ledger_import_id",
    "dedupe_key",
)  # (rows processed, rows in the file)


@dataclass
class LedgerRow:
    row: int
    household_id: int
    measured_on: dt.date
    measured_at: dt.datetime | None
    room: str
    temperature: Decimal
    cause_id: int | None
    cause_text: str
    key: str


@dataclass
class LedgerReport:
    total: int = 0
    good: list[LedgerRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    duplicates_in_file: int = 0


def ledger_template_csv() -> bytes:
    """The downloadable template (UTF-8 with BOM so Excel opens the Chinese headers)."""
    lines = [
        ",".join(HEADERS),
        "1000001,,2025-12-05 09:30,客厅,18.5,暖气片积气",
        ",幸福1小区1号楼101室,2025-12-05,主卧,19,入户管道循环慢",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def ledger_template_xlsx() -> bytes:
    """The same template as .xlsx, the way utilities keep their ledgers."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "测温台账"
    sheet.append(list(HEADERS))
    sheet.append(["1000001", None, "2025-12-05 09:30", "客厅", 18.5, "暖气片积气"])
    sheet.append([None, "幸福1小区1号楼101室", "2025-12-05", "主卧", 19, "入户管道循环慢"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_temperature(value: Any) -> Decimal | None:
    raw = text(value).replace("℃", "").replace("度", "").strip()
    try:
        temperature = Decimal(raw)
    except InvalidOperation:
        return None
    if not temperature.is_finite():
        return None
    return temperature.quantize(Decimal("0.1"))


def normalise_address(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "").strip()


def ledger_read(
    *, content: bytes, file_name: str, viewer: Staff | None = None, progress: Progress | None = None
) -> LedgerReport:
    """Check every row; nothing is written. `viewer` limits households to the viewer's districts."""
    rows, total_lines = raw_rows(content, file_name)
    report = LedgerReport()
    header = next(rows, None)
    if header is None:
        raise InvalidInput(_("文件为空"))
    names = [text(cell) for cell in header]
    columns = {name: names.index(name) for name in HEADERS if name in names}
    missing = [name for name in ("测温日期", "房间", "温度") if name not in columns]
    if missing or ("户号" not in columns and "地址" not in columns):
        raise InvalidInput(
            _("表头不符合模板,缺少:%(missing)s(需要 户号 或 地址、测温日期、房间、温度)")
            % {"missing": "、".join(missing) or "户号/地址"}
        )

    ids = visible_district_ids(viewer) if viewer is not None else None
    households = Household.objects.all()
    if ids is not None:
        households = households.filter(building__district_id__in=ids)
    by_account: dict[str, int] = {}
    by_address: dict[str, int] = {}
    for pk, account, address in households.values_list("id", "account_number", "address").iterator(
        chunk_size=10000
    ):
        by_account[account] = pk
        by_address[normalise_address(address)] = pk
    causes: dict[str, int] = {}
    for cause_pk, code, name in Cause.objects.values_list("id", "code", "name"):
        causes[name] = cause_pk
        causes[code] = cause_pk
    tz = timezone.get_current_timezone()
    seen: set[str] = set()

    def cell(values: Sequence[Any], name: str) -> Any:
        index = columns.get(name)
        if index is None or index >= len(values):
            return None
        return values[index]

    for number, values in enumerate(rows, start=2):
        if number % PROGRESS_EVERY == 0 and progress is not None:
            progress(number - 1, total_lines)
        if not values or all(text(value) == "" for value in values):
            continue
        report.total += 1
        account = text(cell(values, "户号"))
        address = normalise_address(text(cell(values, "地址")))
        household_id = by_account.get(account) if account else None
        if household_id is None and address:
            household_id = by_address.get(address)
        if household_id is None:
            if account:
                report.errors.append(
                    (number, _("户号不存在或不在您的管辖片区:%(value)s") % {"value": account})
                )
            elif address:
                report.errors.append((number, _("地址无法识别:%(value)s") % {"value": address}))
            else:
                report.errors.append((number, _("缺少户号和地址")))
            continue
        when = parse_when(cell(values, "测温日期"))
        if when is None:
            report.errors.append(
                (number, _("日期无效:%(value)s") % {"value": text(cell(values, "测温日期")) or _("(空)")})
            )
            continue
        day, time = when
        temperature = parse_temperature(cell(values, "温度"))
        if temperature is None:
            report.errors.append(
                (number, _("温度不是数字:%(value)s") % {"value": text(cell(values, "温度")) or _("(空)")})
            )
            continue
        if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
            report.errors.append((number, _("温度超出范围(-10~40℃):%(value)s") % {"value": temperature}))
            continue
        room = text(cell(values, "房间"))
        if not room:
            report.errors.append((number, _("缺少房间")))
            continue
        if len(room) > 20:
            report.errors.append((number, _("房间名称过长")))
            continue
        cause_text = text(cell(values, "原因"))[:100]
        cause_id = causes.get(cause_text) if cause_text else None
        key = f"L|{household_id}|{day.isoformat()}|{time.strftime('%H:%M') if time else ''}|{room}"
        if key in seen:
            report.duplicates_in_file += 1
            continue
        seen.add(key)
        report.good.append(
            LedgerRow(
                row=number,
                household_id=household_id,
                measured_on=day,
                measured_at=dt.datetime.combine(day, time, tzinfo=tz) if time else None,
                room=room,
                temperature=temperature,
                cause_id=cause_id,
                cause_text="" if cause_id else cause_text,
                key=key,
            )
        )
    if progress is not None:
        progress(report.total, report.total)
    return report


def _season_of(seasons: list[HeatingSeason], day: dt.date) -> int | None:
    """Same rule as core.seasons.season_for_date, over a preloaded list (newest first)."""
    for season in seasons:
        if season.first_heating_day <= day:
            return season.pk
    return None


@transaction.atomic
def ledger_commit(
    *, report: LedgerReport, by: Staff | None, ledger_import: LedgerImport | None = None
) -> tuple[int, int]:
    """Write the good rows in one transaction. Returns (imported, already there)."""
    keys = [row.key for row in report.good]
    existing: set[str] = set()
    for start in range(0, len(keys), 5000):
        found = Reading.objects.filter(dedupe_key__in=keys[start : start + 5000]).values_list(
            "dedupe_key", flat=True
        )
        existing.update(key for key in found if key is not None)
    seasons = list(HeatingSeason.objects.order_by("-first_heating_day"))
    season_ids = {row.measured_on: _season_of(seasons, row.measured_on) for row in report.good}
    import_id = ledger_import.pk if ledger_import is not None else None
    reason = str(LEDGER_NOT_COUNTING)
    new_readings = [
        (
            row.household_id,
            season_ids[row.measured_on],
            ReadingSource.LEDGER,
            row.measured_on,
            row.measured_at,
            row.room,
            row.temperature,
            row.cause_id,
            row.cause_text,
            "",
            False,
            False,
            reason,
            import_id,
            row.key,
        )
        for row in report.good
        if row.key not in existing
    ]
    insert_rows(Reading, READING_COLUMNS, new_readings, ignore_conflicts=True)
    if ledger_import is not None:
        ledger_import.rows_imported = len(new_readings)
        ledger_import.rows_duplicate = len(existing) + report.duplicates_in_file
        ledger_import.status = ImportStatus.COMMITTED
        ledger_import.committed_at = timezone.now()
        ledger_import.content = b""  # the readings are in; the file is no longer needed
        ledger_import.save()
        audit_record(
            by=by,
            obj=ledger_import,
            action="ledger_import",
            extra={"imported": len(new_readings), "duplicate": ledger_import.rows_duplicate},
        )
    return len(new_readings), len(existing) + report.duplicates_in_file


def ledger_import_upload(*, file_name: str, content: bytes, by: Staff) -> LedgerImport:
    """Step 1: keep the file; small files are checked at once, large ones by the worker (with progress)."""
    raw_rows(content, file_name)  # refuses an unknown type or an oversize file before anything is stored
    return LedgerImport.objects.create(file_name=file_name[:200], content=content, uploaded_by=by)


def ledger_import_validate(*, ledger_import: LedgerImport) -> LedgerImport:
    """Step 2: the row report (rows processed are saved as it goes, for the progress bar)."""

    def progress(done: int, total: int) -> None:
        LedgerImport.objects.filter(pk=ledger_import.pk).update(rows_processed=done, rows_total=total)

    viewer = ledger_import.uploaded_by
    try:
        report = ledger_read(
            content=bytes(ledger_import.content),
            file_name=ledger_import.file_name,
            viewer=viewer if isinstance(viewer, Staff) else None,
            progress=progress,
        )
    except InvalidInput as error:
        ledger_import.status = ImportStatus.FAILED
        ledger_import.message = error.message[:300]
        ledger_import.save()
        return ledger_import
    ledger_import.status = ImportStatus.VALIDATED
    ledger_import.rows_total = report.total
    ledger_import.rows_processed = report.total
    ledger_import.rows_good = len(report.good)
    ledger_import.rows_bad = len(report.errors)
    ledger_import.rows_duplicate = report.duplicates_in_file
    ledger_import.errors = [[row, reason] for row, reason in report.errors[:MAX_STORED_ERRORS]]
    ledger_import.save()
    return ledger_import


def ledger_import_confirm(*, ledger_import: LedgerImport, by: Staff) -> LedgerImport:
    """Step 3: on the user's confirmation, the good rows go in (one transaction)."""
    if ledger_import.status != ImportStatus.VALIDATED:
        raise InvalidInput(_("该文件尚未校验完成或已导入"))
    if ledger_import.uploaded_by_id != by.pk and not by.is_superuser:
        raise InvalidInput(_("只能由上传人确认导入"))
    report = ledger_read(content=bytes(ledger_import.content), file_name=ledger_import.file_name, viewer=by)
    ledger_commit(report=report, by=by, ledger_import=ledger_import)
    return ledger_import
