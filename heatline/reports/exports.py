"""Every report table as .xlsx with Chinese headers (openpyxl write-only: rows stream, memory stays flat)."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from heatline.registry.models import Building, District, Staff
from heatline.registry.scoping import mask_name, mask_phone, sees_personal_data
from heatline.requests.models import Category, Kind, Nature, ServiceRequest, Source, Status

Progress = Callable[[int], None]
PROGRESS_EVERY = 10_000


def write_xlsx(
    *,
    out: IO[bytes] | str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    progress: Progress | None = None,
) -> int:
    """Write one sheet; `progress(n)` is called every 10,000 rows and at the end. Returns the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(list(row))
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress is not None:
        progress(count)
    workbook.save(out)
    return count


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


REQUEST_HEADERS = (
    "工单号",
    "来源",
    "类型",
    "性质",
    "类别",
    "状态",
    "片区",
    "小区",
    "楼号",
    "地址",
    "来电人",
    "联系电话",
    "来电时间",
    "登记时间",
    "办结时间",
    "登记超时",
    "直办",
    "已解决",
    "满意度",
    "重复来电次数",
    "不纳入考核",
    "办理轮次",
)


def request_rows(queryset: QuerySet[ServiceRequest], *, viewer: Staff) -> Iterator[tuple[Any, ...]]:
    """Rows of the request export: plain tuples from values_list (no model objects), chunked."""
    # Labels resolved to plain strings once: a lazy label per cell costs a translation lookup.
    sources = {key: str(label) for key, label in Source.choices}
    kinds = {key: str(label) for key, label in Kind.choices}
    natures = {key: str(label) for key, label in Nature.choices}
    statuses = {key: str(label) for key, label in Status.choices}
    satisfaction = {
        "satisfied": _("满意"),
        "basic": _("基本满意"),
        "unsatisfied": _("不满意"),
        "unreached": _("未接通"),
        "refused": _("拒绝回访"),
    }
    tz = timezone.get_current_timezone()

    def local(value: dt.datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    personal = sees_personal_data(viewer)
    yes, no = _("是"), _("否")
    columns = queryset.values_list(
        "number",
        "source",
        "kind",
        "nature",
        "category_id",
        "status",
        "district_id",
        "building_id",
        "address",
        "caller_name",
        "phone",
        "received_at",
        "registered_at",
        "closed_at",
        "is_late_intake",
        "is_resolved_at_intake",
        "is_solved",
        "satisfaction",
        "repeat_count",
        "is_excluded",
        "round",
    )
    # Names of the reference tables are looked up in memory (buildings a batch at a time): the big
    # scan reads one table, without joins.
    categories = dict(Category.objects.values_list("id", "name"))
    districts = dict(District.objects.values_list("id", "name"))
    buildings: dict[int, tuple[str, str]] = {}

    def batches() -> Iterator[list[tuple[Any, ...]]]:
        batch: list[tuple[Any, ...]] = []
        for item in columns.iterator(chunk_size=5000):
            batch.append(item)
            if len(batch) == 5000:
                yield batch
                batch = []
        if batch:
            yield batch

    def remember(batch: list[tuple[Any, ...]]) -> None:
        missing = {item[7] for item in batch if item[7] is not None and item[7] not in buildings}
        if missing:
            for pk, number, community in Building.objects.filter(pk__in=missing).values_list(
                "pk", "number", "community__name"
            ):
                buildings[pk] = (community, number)

    def _format(row: tuple[Any, ...]) -> tuple[Any, ...]:
        (
            number,
            source,
            kind,
            nature,
            category_id,
            status,
            district_id,
            building_id,
            address,
            caller,
            phone,
            received,
            registered,
            closed,
            late,
            at_intake,
            solved,
            satisfied,
            repeats,
            excluded,
            round_,
        ) = row
        return (
            number,
            sources.get(source, source),
            kinds.get(kind, kind),
            natures.get(nature, nature),
            categories.get(category_id, ""),
            statuses.get(status, status),
            districts.get(district_id, ""),
            buildings.get(building_id, ("", ""))[0],
            buildings.get(building_id, ("", ""))[1],
            address,
            caller if personal else mask_name(caller),
            phone if personal else mask_phone(phone),
            local(received),
            local(registered),
            local(closed),
            yes if late else no,
            yes if at_intake else no,
            "" if solved is None else (yes if solved else no),
            satisfaction.get(satisfied, satisfied),
            repeats,
            yes if excluded else no,
            round_,
        )

    for batch in batches():
        remember(batch)
        yield from (_format(item) for item in batch)
