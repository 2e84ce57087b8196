"""`heatline import-register`: the property register as the billing system (收费系统) exports it.

One row per household. What is missing from station down to household is created, what changed is updated
(holder, phones, area, heating status with its date, a building's district), nothing is ever deleted.
Every row is checked before anything is written; one wrong row and nothing is written (all or nothing).
The same file twice changes nothing. A season's 报停 / 复供 delta comes in the same way: a household whose
status changed gets a `HeatingStatusChange` row, so its history is kept.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.bulk import insert_rows, update_rows
from heatline.core.errors import InvalidInput
from heatline.core.imports import data_import_written
from heatline.core.models import DataImport, ImportKind
from heatline.core.tabular import (
    Column,
    ImportReport,
    Progress,
    parse_date,
    parse_decimal,
    split_phones,
    table_open,
    template_csv,
    template_xlsx,
    text,
)
from heatline.registry.models import (
    UNASSIGNED_CODE,
    Branch,
    Building,
    Community,
    Company,
    District,
    HeatingStatus,
    HeatingStatusChange,
    Household,
    HouseholdPhone,
    Staff,
    Station,
    StatusSource,
    Unit,
)

REGISTER_COLUMNS = (
    Column("换热站", ("station",)),
    Column("小区", ("community", "estate"), required=True),
    Column("楼栋", ("building",), required=True),
    Column("单元", ("unit", "entrance")),
    Column("户号", ("account", "account_number", "account_no"), required=True),
    Column("房号", ("room",)),
    Column("地址", ("address",), required=True),
    Column("户主", ("holder", "owner", "name")),
    Column("电话", ("phone", "phones", "tel")),
    Column("供热面积", ("area", "heated_area")),
    Column("供热状态", ("status", "heating_status")),
    Column("状态日期", ("status_date", "since")),
    Column("片区", ("district",)),
    # The building's point, WGS84 degrees (issue 21); the first row of a building that gives it wins.
    Column("经度", ("lon", "lng", "longitude")),
    Column("纬度", ("lat", "latitude")),
)
REGISTER_EXAMPLES = (
    ("爱辉1号站", "幸福小区", "1", "2", "2010001", "201", "幸福小区1号楼2单元201室", "张三",
     "13904561234;0456-8221234", 86.5, "在供", "", "AH", 127.49871, 50.24562),
    ("爱辉1号站", "幸福小区", "1", "2", "2010002", "202", "幸福小区1号楼2单元202室", "李四",
     "13904565678", 92, "报停", "2026-10-15", "AH", 127.49871, 50.24562),
)  # fmt: skip

STATUS_WORDS = {
    HeatingStatus.HEATING: ("在供", "供热", "供暖", "正常", "复供", "已复供", "恢复供热", "heating", "on"),
    HeatingStatus.STOPPED: ("报停", "已报停", "停供", "停热", "暂停", "停暖", "stopped", "off"),
}
STATUS_BY_WORD = {word: status for status, words in STATUS_WORDS.items() for word in words}
MAX_AREA = Decimal(999999)
HOUSEHOLD_FIELDS = (
    "building_id", "unit_id", "room", "address", "contact_name", "phone", "phone2", "heated_area",
    "heating_status", "heating_status_since",
)  # fmt: skip


@dataclass
class RegisterRow:
    row: int
    station: str
    community: str
    building: str
    unit: str
    account: str
    room: str
    address: str
    holder: str
    phones: list[str]
    area: Decimal | None
    status: str | None
    since: dt.date | None
    district: int | None  # district id named in the row, None when empty
    point: tuple[float, float] | None = None  # (lon, lat) of the row's building, WGS84


def register_template_xlsx() -> bytes:
    return template_xlsx(title="房产档案", columns=REGISTER_COLUMNS, examples=REGISTER_EXAMPLES)


def register_template_csv() -> bytes:
    return template_csv(columns=REGISTER_COLUMNS, examples=REGISTER_EXAMPLES)


def _number(value: str, *suffixes: str) -> str:
    """`3号楼` → `3`, `2单元` → `2`: the register's numbers without their words."""
    for suffix in suffixes:
        if value.endswith(suffix) and len(value) > len(suffix):
            return value[: -len(suffix)]
    return value


ROOM_IN_ADDRESS = re.compile(r"(\d+)室?$")


def _district_lookup() -> dict[str, int]:
    lookup: dict[str, int] = {}
    for pk, code, name in District.objects.values_list("id", "code", "name"):
        lookup[name] = pk
        lookup[code] = pk
    return lookup


def _read_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], report: ImportReport, districts: dict[str, int]
) -> list[RegisterRow]:
    good: list[RegisterRow] = []
    first_row_of: dict[str, int] = {}
    for number, cells in rows:
        report.rows += 1
        before = len(report.errors)
        account = text(cells.get("户号"))
        community = text(cells.get("小区"))
        building = _number(text(cells.get("楼栋")), "号楼", "栋", "号", "幢")
        unit = _number(text(cells.get("单元")), "单元")
        address = text(cells.get("地址"))
        station = text(cells.get("换热站"))
        holder = text(cells.get("户主"))
        room = text(cells.get("房号")) or (
            match.group(1) if (match := ROOM_IN_ADDRESS.search(address)) else ""
        )
        if not account:
            report.error(number, "户号", _("缺少户号"))
        elif account in first_row_of:
            report.error(
                number,
                "户号",
                _("户号与第%(row)d行重复:%(value)s") % {"row": first_row_of[account], "value": account},
            )
        else:
            first_row_of[account] = number
        if not community:
            report.error(number, "小区", _("缺少小区"))
        if not building:
            report.error(number, "楼栋", _("缺少楼栋"))
        if not address:
            report.error(number, "地址", _("缺少地址"))
        report.check_lengths(number, (
            ("户号", account, 20), ("小区", community, 100), ("楼栋", building, 20), ("单元", unit, 10),
            ("地址", address, 200), ("换热站", station, 100), ("户主", holder, 50), ("房号", room, 20),
        ))  # fmt: skip
        phones, bad_phones = split_phones(cells.get("电话"))
        if bad_phones:
            report.error(number, "电话", _("电话号码无效:%(value)s") % {"value": "、".join(bad_phones)})
        area: Decimal | None = None
        if text(cells.get("供热面积")):
            area = parse_decimal(cells.get("供热面积"))
            if area is None:
                report.error(
                    number,
                    "供热面积",
                    _("供热面积不是数字:%(value)s") % {"value": text(cells.get("供热面积"))},
                )
            elif not Decimal(0) <= area <= MAX_AREA:
                report.error(number, "供热面积", _("供热面积超出范围:%(value)s") % {"value": area})
            else:
                area = area.quantize(Decimal("0.01"))
        status: str | None = None
        if status_text := text(cells.get("供热状态")):
            status = STATUS_BY_WORD.get(status_text.lower())
            if status is None:
                report.error(
                    number,
                    "供热状态",
                    _("供热状态无法识别:%(value)s(可用:在供、报停、停供、复供)") % {"value": status_text},
                )
        since: dt.date | None = None
        if since_text := text(cells.get("状态日期")):
            since = parse_date(cells.get("状态日期"))
            if since is None:
                report.error(number, "状态日期", _("日期无效:%(value)s") % {"value": since_text})
        district: int | None = None
        if district_text := text(cells.get("片区")):
            district = districts.get(district_text)
            if district is None:
                report.error(
                    number,
                    "片区",
                    _("片区不存在:%(value)s(请先导入组织机构或在后台添加)") % {"value": district_text},
                )
        point = _point(number, cells, report)
        if len(report.errors) == before:
            good.append(
                RegisterRow(
                    number,
                    station,
                    community,
                    building,
                    unit,
                    account,
                    room,
                    address,
                    holder,
                    phones,
                    area,
                    status,
                    since,
                    district,
                    point,
                )
            )
    return good


def _point(number: int, cells: dict[str, Any], report: ImportReport) -> tuple[float, float] | None:
    lon_text, lat_text = text(cells.get("经度")), text(cells.get("纬度"))
    if not lon_text and not lat_text:
        return None
    if not lon_text or not lat_text:
        report.error(number, "经度" if not lon_text else "纬度", _("经度和纬度须同时填写"))
        return None
    values = []
    for column, value, low, high in (("经度", lon_text, -180.0, 180.0), ("纬度", lat_text, -90.0, 90.0)):
        parsed = parse_decimal(value)
        if parsed is None or not parsed.is_finite():
            report.error(
                number, column, _("%(column)s不是数字:%(value)s") % {"column": column, "value": value}
            )
            return None
        if not low <= float(parsed) <= high:
            report.error(
                number,
                column,
                _("%(column)s超出范围(%(low)s~%(high)s):%(value)s")
                % {"column": column, "low": low, "high": high, "value": value},
            )
            return None
        values.append(float(parsed))
    return values[0], values[1]


def _code(prefix: str, *parts: str) -> str:
    """A stable code for a station or community the register names but does not number."""
    digest = hashlib.sha1("|".join(parts).encode()).hexdigest()[:10].upper()
    return f"{prefix}-{digest}"


def _unassigned(company: Company) -> tuple[Branch, District]:
    branch, _created = Branch.objects.get_or_create(
        code=UNASSIGNED_CODE, defaults={"company": company, "name": _("待分配")}
    )
    district, _created = District.objects.get_or_create(
        code=UNASSIGNED_CODE, defaults={"branch": branch, "name": _("待分配片区")}
    )
    return branch, district


class _Structure:
    """The register's tree as it stands, by the names a billing export uses, and what a file adds to it."""

    def __init__(self) -> None:
        self.stations = dict(Station.objects.values_list("name", "id"))
        self.communities = {
            name: (pk, d) for pk, name, d in Community.objects.values_list("id", "name", "district_id")
        }
        self.buildings: dict[tuple[int, str], tuple[int, int, int | None]] = {
            (c, number): (pk, d, s)
            for pk, c, number, d, s in Building.objects.values_list(
                "id", "community_id", "number", "district_id", "station_id"
            )
        }
        self.points = {
            pk: (lon, lat)
            for pk, lon, lat in Building.objects.filter(lat__isnull=False).values_list("id", "lon", "lat")
        }
        self.units = {
            (b, number): pk for pk, b, number in Unit.objects.values_list("id", "building_id", "number")
        }


def register_import(
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
        content=content, file_name=file_name, columns=REGISTER_COLUMNS, progress=progress
    )
    rows = _read_rows(table.rows, report, _district_lookup())
    company = Company.objects.order_by("id").first()
    if company is None:
        raise InvalidInput(_("尚未设置公司:请先运行 heatline setup"))
    if report.errors or not commit:
        _plan(rows, report, write=False)
        return report
    with transaction.atomic():
        # One import at a time: a second one waits here (PostgreSQL), so both never create the same rows.
        Company.objects.select_for_update().filter(pk=company.pk).first()
        _plan(rows, report, write=True, company=company)
        report.committed = True
        data_import_written(
            kind=ImportKind.REGISTER,
            record=record,
            content=content,
            file_name=file_name,
            by=by,
            report=report,
            started_at=started_at,
        )
    return report


def _plan(
    rows: list[RegisterRow], report: ImportReport, *, write: bool, company: Company | None = None
) -> None:
    """Work out (and with `write`, make) what the rows add and change, parents before children."""
    tree = _Structure()
    unassigned_district: int | None = (
        District.objects.filter(code=UNASSIGNED_CODE).values_list("id", flat=True).first()
    )
    unassigned_branch: int | None = (
        Branch.objects.filter(code=UNASSIGNED_CODE).values_list("id", flat=True).first()
    )

    def need_unassigned() -> tuple[int, int]:
        nonlocal unassigned_district, unassigned_branch
        if unassigned_district is None or unassigned_branch is None:
            if write:
                assert company is not None
                branch, district = _unassigned(company)
                unassigned_branch, unassigned_district = branch.pk, district.pk
            else:
                unassigned_branch, unassigned_district = -1, -1
        return unassigned_branch, unassigned_district

    district_branch = dict(District.objects.values_list("id", "branch_id"))

    # Stations and communities, by name.
    new_stations: dict[str, int | None] = {}  # name → district of its first row (its branch)
    new_communities: dict[str, int | None] = {}
    for row in rows:
        if row.station and row.station not in tree.stations and row.station not in new_stations:
            new_stations[row.station] = row.district
        if row.community not in tree.communities and row.community not in new_communities:
            new_communities[row.community] = row.district
    report.created["换热站"] = len(new_stations)
    report.created["小区"] = len(new_communities)
    if write and new_stations:
        Station.objects.bulk_create(
            Station(
                code=_code("ST", name),
                name=name,
                branch_id=district_branch[d] if d is not None else need_unassigned()[0],
            )
            for name, d in new_stations.items()
        )
        tree.stations = dict(Station.objects.values_list("name", "id"))
    if write and new_communities:
        Community.objects.bulk_create(
            Community(
                code=_code("CM", name), name=name, district_id=d if d is not None else need_unassigned()[1]
            )
            for name, d in new_communities.items()
        )
    if write and (new_stations or new_communities):
        tree = _Structure()

    # Buildings (community, number) and units; a building's district follows the register when it names one.
    new_buildings: dict[tuple[str, str], tuple[int | None, str]] = {}
    moved_buildings: dict[int, int] = {}
    restationed: dict[int, int] = {}
    points: dict[tuple[str, str], tuple[float, float]] = {}  # (community, building) → (lon, lat)
    for row in rows:
        if row.point is not None:
            points.setdefault((row.community, row.building), row.point)
        community = tree.communities.get(row.community)
        existing = tree.buildings.get((community[0], row.building)) if community else None
        if existing is None:
            key = (row.community, row.building)
            if key not in new_buildings:
                new_buildings[key] = (row.district, row.station)
            continue
        pk, district, station = existing
        if row.district is not None and row.district != district and pk not in moved_buildings:
            moved_buildings[pk] = row.district
        station_id = tree.stations.get(row.station) if row.station else None
        if station_id is not None and station_id != station and pk not in restationed:
            restationed[pk] = station_id
    located: dict[int, tuple[float, float]] = {}
    for (community_name, number), point in points.items():
        community = tree.communities.get(community_name)
        existing = tree.buildings.get((community[0], number)) if community else None
        if existing is not None and tree.points.get(existing[0]) != point:
            located[existing[0]] = point
    report.created["楼栋"] = len(new_buildings)
    report.updated["楼栋"] = len(moved_buildings.keys() | restationed.keys() | located.keys())
    if write:
        buildings = []
        for (community_name, number), (named_district, station_name) in new_buildings.items():
            community_pk, community_district = tree.communities[community_name]
            buildings.append(
                Building(
                    community_id=community_pk,
                    number=number,
                    district_id=named_district if named_district is not None else community_district,
                    station_id=tree.stations.get(station_name) if station_name else None,
                    lon=points[(community_name, number)][0] if (community_name, number) in points else None,
                    lat=points[(community_name, number)][1] if (community_name, number) in points else None,
                )
            )
        Building.objects.bulk_create(buildings, batch_size=2000)
        for pk, district in moved_buildings.items():
            Building.objects.filter(pk=pk).update(district_id=district, updated_at=timezone.now())
        for pk, station in restationed.items():
            Building.objects.filter(pk=pk).update(station_id=station, updated_at=timezone.now())
        for pk, (lon, lat) in located.items():
            Building.objects.filter(pk=pk).update(lon=lon, lat=lat, updated_at=timezone.now())
        if buildings:
            tree = _Structure()

    def building_of(row: RegisterRow) -> int | None:
        community = tree.communities.get(row.community)
        found = tree.buildings.get((community[0], row.building)) if community else None
        return found[0] if found else None

    new_units: set[tuple[int, str]] = set()
    planned_units = 0
    seen_units: set[tuple[str, str, str]] = set()
    for row in rows:
        if not row.unit:
            continue
        building = building_of(row)
        if building is None:  # dry run: the building is new, so is its unit
            unit_key = (row.community, row.building, row.unit)
            if unit_key not in seen_units:
                seen_units.add(unit_key)
                planned_units += 1
        elif (building, row.unit) not in tree.units:
            new_units.add((building, row.unit))
    report.created["单元"] = planned_units + len(new_units)
    if write and new_units:
        Unit.objects.bulk_create((Unit(building_id=b, number=n) for b, n in new_units), batch_size=5000)
        tree.units = {
            (b, number): pk for pk, b, number in Unit.objects.values_list("id", "building_id", "number")
        }

    _households(rows, report, write=write, building_of=building_of, units=tree.units)


def _households(
    rows: list[RegisterRow],
    report: ImportReport,
    *,
    write: bool,
    building_of: Any,
    units: dict[tuple[int, str], int],
) -> None:
    today = timezone.localdate()
    current: dict[str, tuple[Any, ...]] = {}
    for values in Household.objects.values_list("account_number", "id", *HOUSEHOLD_FIELDS).iterator(
        chunk_size=20000
    ):
        current[values[0]] = values[1:]
    extra_phones: dict[int, set[str]] = {}
    for household_id, phone in HouseholdPhone.objects.values_list("household_id", "phone").iterator(
        chunk_size=20000
    ):
        extra_phones.setdefault(household_id, set()).add(phone)

    creates: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []  # (pk, *HOUSEHOLD_FIELDS)
    status_changes: list[tuple[str, str, str, dt.date]] = []  # account, status, previous, since
    phone_sets: dict[str, list[str]] = {}  # account → its numbers beyond the first two (replaced)
    for row in rows:
        building = building_of(row)
        unit = units.get((building, row.unit)) if (building is not None and row.unit) else None
        phone, phone2 = ([*row.phones, "", ""])[:2]
        extras = row.phones[2:]
        found = current.get(row.account)
        if found is None:
            status = row.status or HeatingStatus.HEATING
            since = (row.since or today) if status == HeatingStatus.STOPPED else row.since
            creates.append(
                (row.account, building, unit, row.room, row.address, row.holder, phone, phone2,
                 row.area if row.area is not None else Decimal(0), status, since)
            )  # fmt: skip
            if status == HeatingStatus.STOPPED:
                status_changes.append((row.account, status, "", since or today))
            if extras:
                phone_sets[row.account] = extras
            continue
        pk, *old = found
        old_values = dict(zip(HOUSEHOLD_FIELDS, old, strict=True))
        new_values = dict(old_values)
        new_values.update(
            building_id=building if building is not None else old_values["building_id"],
            # no 单元 given: the old unit stays only while the household stays in its building
            unit_id=unit
            if row.unit
            else (old_values["unit_id"] if building in (None, old_values["building_id"]) else None),
            room=row.room or old_values["room"],
            address=row.address,
        )
        if row.holder:
            new_values["contact_name"] = row.holder
        if row.phones:
            new_values["phone"], new_values["phone2"] = phone, phone2
            if set(extras) != extra_phones.get(pk, set()):
                phone_sets[row.account] = extras
        if row.area is not None:
            new_values["heated_area"] = row.area
        if row.status is not None and row.status != old_values["heating_status"]:
            since = row.since or today
            new_values["heating_status"], new_values["heating_status_since"] = row.status, since
            status_changes.append((row.account, row.status, old_values["heating_status"], since))
        elif (
            row.since is not None
            and row.status == old_values["heating_status"]
            and row.since != old_values["heating_status_since"]
        ):
            new_values["heating_status_since"] = row.since
        if new_values != old_values or row.account in phone_sets:
            updates.append((pk, *(new_values[name] for name in HOUSEHOLD_FIELDS)))
        else:
            report.unchanged += 1
    report.created["热用户"] = len(creates)
    report.updated["热用户"] = len(updates)
    report.updated["供热状态"] = sum(1 for change in status_changes if change[2])
    if not write:
        return
    now = timezone.now()
    insert_rows(Household, ("account_number", *HOUSEHOLD_FIELDS), creates)
    update_rows(Household, HOUSEHOLD_FIELDS, updates)
    accounts = {change[0] for change in status_changes} | phone_sets.keys()
    ids: dict[str, int] = {}
    listed = sorted(accounts)
    for start in range(0, len(listed), 5000):
        ids.update(
            Household.objects.filter(account_number__in=listed[start : start + 5000]).values_list(
                "account_number", "id"
            )
        )
    if phone_sets:
        HouseholdPhone.objects.filter(household_id__in=[ids[a] for a in phone_sets]).delete()
        HouseholdPhone.objects.bulk_create(
            (
                HouseholdPhone(household_id=ids[a], phone=p)
                for a, phones in phone_sets.items()
                for p in phones
            ),
            batch_size=5000,
        )
    HeatingStatusChange.objects.bulk_create(
        (
            HeatingStatusChange(
                household_id=ids[account],
                status=status,
                previous=previous,
                since=since,
                source=StatusSource.IMPORT,
                note=_("收费系统导入"),
                created_at=now,
            )
            for account, status, previous, since in status_changes
        ),
        batch_size=5000,
    )
