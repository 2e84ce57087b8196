"""`heatline import-sensors FILE [--commit]`: the sensor register (传感器台账), as the utility's metering
system or the installer exports it (.xlsx or CSV, UTF-8 or GBK).

Columns: 传感器编号, 类型 (室温/换热站/热量表/室外, or room/station/meter/outdoor), 户号 (room sensors and
household heat meters), 换热站编号 (station sensors), 片区编号 (outdoor sensors; empty = company-wide), 房间,
安装日期, 拆除日期. The code is the key: importing a file again updates the sensors it names. Every row is
checked first; one wrong row writes nothing.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.imports import data_import_written
from heatline.core.models import DataImport, ImportKind
from heatline.core.tabular import (
    Column,
    ImportReport,
    Progress,
    parse_date,
    table_open,
    template_csv,
    template_xlsx,
    text,
)
from heatline.registry.models import District, Household, Staff, Station
from heatline.telemetry.models import Sensor, SensorKind

SENSOR_COLUMNS = (
    Column("传感器编号", ("sensor", "code", "sensor_code"), required=True),
    Column("类型", ("kind", "type"), required=True),
    Column("户号", ("account", "account_number", "household")),
    Column("换热站编号", ("station", "station_code")),
    Column("片区编号", ("district", "district_code")),
    Column("房间", ("room",)),
    Column("安装日期", ("installed", "installed_on")),
    Column("拆除日期", ("removed", "removed_on")),
)
SENSOR_EXAMPLES = (
    ("S-000001", "室温", "100001", "", "", "卧室", "2026-10-10", ""),
    ("ST-01-S", "换热站", "", "ST01", "", "", "2025-09-01", ""),
    ("OUT-AH", "室外", "", "", "D01", "", "2024-09-01", ""),
)
KIND_NAMES = {
    "室温": SensorKind.ROOM, "室温采集器": SensorKind.ROOM, "room": SensorKind.ROOM,
    "换热站": SensorKind.STATION, "换热站供回水": SensorKind.STATION, "station": SensorKind.STATION,
    "热量表": SensorKind.METER, "meter": SensorKind.METER,
    "室外": SensorKind.OUTDOOR, "室外温度": SensorKind.OUTDOOR, "outdoor": SensorKind.OUTDOOR,
}  # fmt: skip
FIELDS = ("kind", "household_id", "station_id", "district_id", "room", "installed_on", "removed_on")
BATCH = 2000


def sensor_template_xlsx() -> bytes:
    return template_xlsx(title="传感器台账", columns=SENSOR_COLUMNS, examples=SENSOR_EXAMPLES)


def sensor_template_csv() -> bytes:
    return template_csv(columns=SENSOR_COLUMNS, examples=SENSOR_EXAMPLES)


@dataclass
class SensorRow:
    row: int
    code: str
    kind: str
    household_id: int | None
    station_id: int | None
    district_id: int | None
    room: str
    installed_on: dt.date | None
    removed_on: dt.date | None


def _date(report: ImportReport, number: int, column: str, value: Any) -> dt.date | None:
    if not text(value):
        return None
    day = parse_date(value)
    if day is None:
        report.error(number, column, _("日期无法识别:%(value)s") % {"value": text(value)})
    return day


def _read(rows: Any, report: ImportReport) -> list[SensorRow]:
    cells_of: list[tuple[int, dict[str, Any]]] = []
    accounts: set[str] = set()
    stations: set[str] = set()
    districts: set[str] = set()
    for number, cells in rows:
        report.rows += 1
        cells_of.append((number, cells))
        accounts.add(text(cells.get("户号")))
        stations.add(text(cells.get("换热站编号")))
        districts.add(text(cells.get("片区编号")))
    household_ids = dict(
        Household.objects.filter(account_number__in=accounts - {""}).values_list("account_number", "id")
    )
    station_ids = dict(Station.objects.filter(code__in=stations - {""}).values_list("code", "id"))
    district_ids = {
        code: pk
        for pk, code, name in District.objects.values_list("id", "code", "name")
        for code in (code, name)
    }
    seen: dict[str, int] = {}
    good: list[SensorRow] = []
    for number, cells in cells_of:
        before = len(report.errors)
        code = text(cells.get("传感器编号"))
        if not code:
            report.error(number, "传感器编号", _("缺少传感器编号"))
        elif code in seen:
            report.error(
                number,
                "传感器编号",
                _("传感器编号与第%(row)d行重复:%(value)s") % {"row": seen[code], "value": code},
            )
        else:
            seen[code] = number
        kind_text = text(cells.get("类型"))
        kind = KIND_NAMES.get(kind_text) or KIND_NAMES.get(kind_text.lower())
        if kind is None:
            report.error(
                number,
                "类型",
                _("类型无法识别:%(value)s(可用:室温、换热站、热量表、室外)")
                % {"value": kind_text or _("(空)")},
            )
        account, station, district = (
            text(cells.get("户号")),
            text(cells.get("换热站编号")),
            text(cells.get("片区编号")),
        )
        household_id = household_ids.get(account) if account else None
        station_id = station_ids.get(station) if station else None
        district_id = district_ids.get(district) if district else None
        if account and household_id is None:
            report.error(number, "户号", _("户号不在房产档案中:%(value)s") % {"value": account})
        if station and station_id is None:
            report.error(number, "换热站编号", _("换热站不存在:%(value)s") % {"value": station})
        if district and district_id is None:
            report.error(number, "片区编号", _("片区不存在:%(value)s") % {"value": district})
        if kind == SensorKind.ROOM and not account:
            report.error(number, "户号", _("室温采集器须填写户号"))
        if kind == SensorKind.STATION and not station:
            report.error(number, "换热站编号", _("换热站传感器须填写换热站编号"))
        if kind == SensorKind.METER and not (account or station):
            report.error(number, "户号", _("热量表须填写户号或换热站编号"))
        installed = _date(report, number, "安装日期", cells.get("安装日期"))
        removed = _date(report, number, "拆除日期", cells.get("拆除日期"))
        if installed and removed and removed < installed:
            report.error(number, "拆除日期", _("拆除日期早于安装日期"))
        room = text(cells.get("房间"))
        report.check_lengths(number, (("传感器编号", code, 40), ("房间", room, 20)))
        if len(report.errors) == before:
            assert kind is not None
            good.append(
                SensorRow(number, code, kind, household_id, station_id, district_id, room, installed, removed)
            )
    return good


def sensors_import(
    *,
    content: bytes,
    file_name: str,
    commit: bool,
    by: Staff | None,
    progress: Progress | None = None,
    record: DataImport | None = None,
) -> ImportReport:
    """Check every row; with `commit` and no errors, create and update the sensors in one transaction."""
    started_at = timezone.now()
    table, report = table_open(
        content=content, file_name=file_name, columns=SENSOR_COLUMNS, progress=progress
    )
    rows = _read(table.rows, report)
    if report.errors:
        return report
    existing = {s.code: s for s in Sensor.objects.filter(code__in=[r.code for r in rows])}
    new: list[Sensor] = []
    changed: list[Sensor] = []
    for row in rows:
        values = {name: getattr(row, name) for name in FIELDS}
        sensor = existing.get(row.code)
        if sensor is None:
            new.append(Sensor(code=row.code, **values))
        elif any(getattr(sensor, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(sensor, name, value)
            changed.append(sensor)
    report.warnings.append(
        _("新增传感器 %(new)s 个,更新 %(changed)s 个") % {"new": len(new), "changed": len(changed)}
    )
    if not commit:
        return report
    with transaction.atomic():
        Sensor.objects.bulk_create(new, batch_size=BATCH)
        Sensor.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=BATCH)
        report.committed = True
        data_import_written(
            kind=ImportKind.SENSORS,
            record=record,
            content=content,
            file_name=file_name,
            by=by,
            report=report,
            started_at=started_at,
        )
    return report
