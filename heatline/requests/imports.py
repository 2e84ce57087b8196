"""`heatline import-requests`: requests of past seasons from the old hotline system or a 12345/12319 export.

Imported requests are closed history: status closed, one event of their own marked imported, no clocks,
no messages, so no time-limit figure counts them. They are matched to households by account number, else
by address (an address that matches none is kept as text, the way intake keeps it). `(来源, 外部单号)`
keeps a re-import idempotent; a row without an external number gets one made from its own content. The
high-risk areas (第五条) and the watch list (第四条.1) read them exactly as live requests.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.bulk import insert_rows
from heatline.core.imports import data_import_written
from heatline.core.models import DataImport, HeatingSeason, ImportKind
from heatline.core.tabular import (
    Column,
    ImportReport,
    Progress,
    parse_when,
    split_phones,
    table_open,
    template_csv,
    template_xlsx,
    text,
)
from heatline.registry.models import Household, Staff
from heatline.requests.models import (
    Action,
    Callback,
    CallbackOutcome,
    Category,
    Cause,
    RequestEvent,
    Satisfaction,
    ServiceRequest,
    Source,
    Status,
)
from heatline.requests.routing import suggest
from heatline.requests.services import request_numbers_take

REQUEST_COLUMNS = (
    Column("来电时间", ("received_at", "call_time"), required=True),
    Column("户号", ("account", "account_number")),
    Column("地址", ("address",)),
    Column("来电人", ("caller", "caller_name", "name")),
    Column("电话", ("phone",)),
    Column("来源", ("source", "channel"), required=True),
    Column("外部单号", ("external_id", "order_no", "order_number")),
    Column("类别", ("category",)),
    Column("诉求内容", ("content", "description"), required=True),
    Column("原因", ("cause",)),
    Column("处理结果", ("result", "outcome")),
    Column("办结时间", ("closed_at", "closed")),
    Column("回访结果", ("callback", "satisfaction")),
)
REQUEST_EXAMPLES = (
    ("2025-12-03 08:15", "2010001", "", "张先生", "13904561234", "12345", "GD20251203000123", "室温不达标",
     "家里暖气不热,室温16度", "管道堵塞", "已清洗管道,复测21度", "2025-12-04 16:00", "满意"),
    ("2025-12-05 19:40", "", "幸福小区1号楼2单元202室", "", "13904565678", "963000", "", "",
     "楼道管道漏水", "设备老化", "已更换阀门", "2025-12-05 22:10", "未回访"),
)  # fmt: skip

SOURCE_WORDS = {
    Source.HOTLINE: ("963000", "供热热线", "热线", "hotline", "963000供热热线"),
    Source.GOV_12345: ("12345", "12345政务热线", "市长热线", "政务热线"),
    Source.GOV_12319: ("12319", "12319城建热线", "城建热线"),
    Source.SERVICE_POINT: ("服务网点", "网点", "service_point"),
    Source.DEPARTMENT: ("业务科室", "科室", "department"),
    Source.PUBLIC: ("居民自助页面", "网页", "public", "web"),
    Source.OPEN311: ("open311",),
}
SOURCE_BY_WORD = {word.lower(): source for source, words in SOURCE_WORDS.items() for word in words}
CALLBACK_WORDS = {
    "满意": Satisfaction.SATISFIED, "非常满意": Satisfaction.SATISFIED, "satisfied": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC, "basic": Satisfaction.BASIC,
    "不满意": Satisfaction.UNSATISFIED, "unsatisfied": Satisfaction.UNSATISFIED,
    "未回访": "", "无需回访": "", "none": "", "": "",
}  # fmt: skip
REQUEST_COLUMNS_WRITTEN = (
    "number", "source", "external_id", "nature", "kind", "category_id", "status", "caller_name", "phone",
    "address", "household_id", "building_id", "district_id", "content", "received_at", "registered_at",
    "closed_at", "cause_id", "result", "is_solved", "satisfaction", "wants_callback", "is_imported",
)  # fmt: skip
CALLBACK_COLUMNS = (
    "service_request_id",
    "round",
    "at",
    "by_id",
    "channel",
    "outcome",
    "is_solved",
    "satisfaction",
)


@dataclass
class RequestRow:
    row: int
    received_at: dt.datetime
    closed_at: dt.datetime
    source: str
    external_id: str
    household: tuple[int, int, int] | None  # household, building, district
    address: str
    caller: str
    phone: str
    category: Category | None
    content: str
    cause_id: int | None
    result: str
    satisfaction: str


def requests_template_xlsx() -> bytes:
    return template_xlsx(title="历史诉求", columns=REQUEST_COLUMNS, examples=REQUEST_EXAMPLES)


def requests_template_csv() -> bytes:
    return template_csv(columns=REQUEST_COLUMNS, examples=REQUEST_EXAMPLES)


def _moment(value: Any, tz: dt.tzinfo, *, now: dt.datetime, end_of_day: bool = False) -> dt.datetime | None:
    """A cell's moment. A date without its time (old systems export some so) is the start of that day for a
    call and the end of it for a closing, never later than now."""
    when = parse_when(value)
    if when is None:
        return None
    day, time = when
    if time is not None:
        return dt.datetime.combine(day, time, tzinfo=tz)
    moment = dt.datetime.combine(day, dt.time.max if end_of_day else dt.time.min, tzinfo=tz).replace(
        microsecond=0
    )
    return min(moment, now) if moment.date() == timezone.localtime(now).date() else moment


def _own_external_id(*parts: str) -> str:
    """An external number for a row that has none: the same row gives the same number on a re-import."""
    return "IMP-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:20].upper()


def _lookups() -> tuple[dict[str, tuple[int, int, int]], dict[str, tuple[int, int, int]]]:
    by_account: dict[str, tuple[int, int, int]] = {}
    by_address: dict[str, tuple[int, int, int]] = {}
    rows = Household.objects.values_list(
        "id", "account_number", "address", "building_id", "building__district_id"
    )
    for pk, account, address, building, district in rows.iterator(chunk_size=20000):
        by_account[account] = (pk, building, district)
        by_address.setdefault(address.replace(" ", "").replace("\u3000", ""), (pk, building, district))
    return by_account, by_address


def requests_import(
    *,
    content: bytes,
    file_name: str,
    commit: bool,
    by: Staff | None,
    progress: Progress | None = None,
    record: DataImport | None = None,
) -> ImportReport:
    """Check the file row by row; with `commit` and no errors, write it in one transaction."""
    started_at = timezone.now()
    table, report = table_open(
        content=content, file_name=file_name, columns=REQUEST_COLUMNS, progress=progress
    )
    tz = timezone.get_current_timezone()
    now = timezone.now()
    by_account, by_address = _lookups()
    categories = list(Category.objects.all())
    category_by = {c.name: c for c in categories} | {c.code: c for c in categories}
    causes: dict[str, int] = {}
    for pk, code, name in Cause.objects.values_list("id", "code", "name"):
        causes[name] = pk
        causes[code] = pk
    good: list[RequestRow] = []
    first_row_of: dict[tuple[str, str], int] = {}
    unmatched: list[int] = []
    for number, cells in table.rows:
        report.rows += 1
        before = len(report.errors)
        received_at = _moment(cells.get("来电时间"), tz, now=now)
        if received_at is None:
            report.error(
                number,
                "来电时间",
                _("日期无效:%(value)s") % {"value": text(cells.get("来电时间")) or _("(空)")},
            )
        elif received_at > now:
            report.error(number, "来电时间", _("来电时间不能晚于当前时间"))
        closed_at = received_at
        if closed_text := text(cells.get("办结时间")):
            closed_at = _moment(cells.get("办结时间"), tz, now=now, end_of_day=True)
            if closed_at is None:
                report.error(number, "办结时间", _("日期无效:%(value)s") % {"value": closed_text})
            elif received_at is not None and closed_at < received_at:
                report.error(number, "办结时间", _("办结时间早于来电时间"))
            elif closed_at > now:
                report.error(number, "办结时间", _("办结时间不能晚于当前时间"))
        source_text = text(cells.get("来源"))
        source = SOURCE_BY_WORD.get(source_text.lower())
        if source is None:
            report.error(
                number,
                "来源",
                _("来源无法识别:%(value)s(可用:963000、12345、12319、服务网点)")
                % {"value": source_text or _("(空)")},
            )
        account = text(cells.get("户号"))
        address = text(cells.get("地址"))
        household = None
        if account:
            household = by_account.get(account)
            if household is None:
                report.error(number, "户号", _("户号不存在:%(value)s") % {"value": account})
        elif address:
            household = by_address.get(address.replace(" ", "").replace("\u3000", ""))
        content_text = text(cells.get("诉求内容"))
        if not content_text:
            report.error(number, "诉求内容", _("缺少诉求内容"))
        category: Category | None = None
        if category_text := text(cells.get("类别")):
            category = category_by.get(category_text)
            if category is None:
                report.error(number, "类别", _("类别不存在:%(value)s") % {"value": category_text})
        elif content_text:
            category = suggest(content_text, categories=categories).category
        cause_id: int | None = None
        if cause_text := text(cells.get("原因")):
            cause_id = causes.get(cause_text)
            if cause_id is None:
                report.error(
                    number,
                    "原因",
                    _("原因不存在:%(value)s(请使用原因代码表中的名称或编码)") % {"value": cause_text},
                )
        callback_text = text(cells.get("回访结果"))
        satisfaction = CALLBACK_WORDS.get(callback_text.lower())
        if satisfaction is None:
            report.error(
                number,
                "回访结果",
                _("回访结果无法识别:%(value)s(可用:满意、基本满意、不满意、未回访)")
                % {"value": callback_text},
            )
        phones, bad = split_phones(cells.get("电话"))
        if bad:
            report.error(number, "电话", _("电话号码无效:%(value)s") % {"value": "、".join(bad)})
        caller = text(cells.get("来电人"))
        external_id = text(cells.get("外部单号"))
        report.check_lengths(
            number, (("外部单号", external_id, 64), ("地址", address, 200), ("来电人", caller, 50))
        )
        if len(report.errors) > before:
            continue
        assert received_at is not None and closed_at is not None and source is not None
        if not external_id:
            external_id = _own_external_id(
                received_at.isoformat(), account, address, phones[0] if phones else "", content_text
            )
        key = (str(source), external_id)
        if key in first_row_of:
            report.error(
                number,
                "外部单号",
                _("与第%(row)d行是同一工单:%(value)s") % {"row": first_row_of[key], "value": external_id},
            )
            continue
        first_row_of[key] = number
        if household is None and address:
            unmatched.append(number)
        good.append(
            RequestRow(
                number,
                received_at,
                closed_at,
                source,
                external_id,
                household,
                address,
                caller,
                phones[0] if phones else "",
                category,
                content_text,
                cause_id,
                text(cells.get("处理结果")),
                satisfaction or "",
            )
        )
    if unmatched:
        report.warnings.append(
            _("%(count)d 行的地址未匹配到热用户,按原文保存(第 %(rows)s 行)")
            % {"count": len(unmatched), "rows": "、".join(str(row) for row in unmatched[:20])}
        )
    existing = _existing_orders({(row.source, row.external_id) for row in good})
    new_rows = [row for row in good if (row.source, row.external_id) not in existing]
    report.unchanged = len(good) - len(new_rows)
    report.created["历史诉求"] = len(new_rows)
    seasons_missing = _seasons_missing(new_rows)
    report.created["采暖期"] = len(seasons_missing)
    if report.errors or not commit:
        return report
    with transaction.atomic():
        _write(new_rows, by=by, seasons=seasons_missing)
        report.committed = True
        if new_rows:
            days = [timezone.localtime(row.received_at).date() for row in new_rows]
            report.span = (min(days), max(days))
        data_import_written(
            kind=ImportKind.REQUESTS,
            record=record,
            content=content,
            file_name=file_name,
            by=by,
            report=report,
            started_at=started_at,
        )
    return report


def _existing_orders(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in keys:
        by_source[source].append(external_id)
    found: set[tuple[str, str]] = set()
    for source, ids in by_source.items():
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            found.update(
                (source, external_id)
                for external_id in ServiceRequest.objects.filter(
                    source=source, external_id__in=chunk
                ).values_list("external_id", flat=True)
                if external_id is not None
            )
    return found


def season_default_bounds(year: int) -> tuple[dt.date, dt.date]:
    """The heating season of Heilongjiang (黑龙江省城市供热条例): 10 October to 10 April, when a past
    season has no row yet; the administrator corrects it in admin (采暖期)."""
    return dt.date(year, 10, 10), dt.date(year + 1, 4, 10)


def _seasons_missing(rows: list[RequestRow]) -> list[int]:
    """Season years the imported requests fall in that have no HeatingSeason row (made on commit, so the
    high-risk areas and the watch list can read those seasons)."""
    known = set(HeatingSeason.objects.values_list("year", flat=True))
    years: set[int] = set()
    for row in rows:
        day = timezone.localtime(row.received_at).date()
        year = day.year if day.month >= 7 else day.year - 1
        if year not in known:
            years.add(year)
    return sorted(years)


def _write(rows: list[RequestRow], *, by: Staff | None, seasons: list[int]) -> None:
    for year in seasons:
        first, last = season_default_bounds(year)
        HeatingSeason.objects.get_or_create(
            year=year, defaults={"first_heating_day": first, "last_day": last}
        )
    by_day: dict[dt.date, list[RequestRow]] = defaultdict(list)
    for row in rows:
        by_day[timezone.localtime(row.received_at).date()].append(row)
    numbered: list[tuple[str, RequestRow]] = []
    for day, day_rows in sorted(by_day.items()):
        numbered.extend(zip(request_numbers_take(day, len(day_rows)), day_rows, strict=True))
    insert_rows(
        ServiceRequest,
        REQUEST_COLUMNS_WRITTEN,
        (
            (
                number,
                row.source,
                row.external_id,
                row.category.nature if row.category else "help",
                row.category.kind if row.category else "routine",
                row.category.pk if row.category else None,
                Status.CLOSED,
                row.caller,
                row.phone,
                row.address,
                row.household[0] if row.household else None,
                row.household[1] if row.household else None,
                row.household[2] if row.household else None,
                row.content,
                row.received_at,
                row.received_at,
                row.closed_at,
                row.cause_id,
                row.result,
                {"satisfied": True, "basic": True, "unsatisfied": False}.get(row.satisfaction),
                row.satisfaction,
                False,
                True,
            )
            for number, row in numbered
        ),
    )
    ids: dict[str, int] = {}
    numbers = [number for number, _row in numbered]
    for start in range(0, len(numbers), 5000):
        ids.update(
            ServiceRequest.objects.filter(number__in=numbers[start : start + 5000]).values_list(
                "number", "id"
            )
        )
    actor = by.pk if by is not None else None
    note = _("历史工单导入")
    insert_rows(
        RequestEvent,
        RequestEvent.INSERT_COLUMNS,
        (
            (
                ids[number],
                row.closed_at,
                actor,
                Action.IMPORT,
                "",
                Status.CLOSED,
                note,
                {"imported": True, "source": row.source, "external_id": row.external_id},
            )
            for number, row in numbered
        ),
    )
    # The answered callbacks of the old system, so last seasons' satisfaction reads as it was.
    insert_rows(
        Callback,
        CALLBACK_COLUMNS,
        (
            (
                ids[number],
                1,
                row.closed_at,
                None,
                "phone",
                CallbackOutcome.ANSWERED,
                row.satisfaction != Satisfaction.UNSATISFIED,
                row.satisfaction,
            )
            for number, row in numbered
            if row.satisfaction
        ),
    )
