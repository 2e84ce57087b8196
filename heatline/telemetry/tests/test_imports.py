"""The sensor register import: GBK CSV and .xlsx, row-level errors, nothing half-imported, idempotent."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heatline.core.models import DataImport
from heatline.registry.tests.factories import Org
from heatline.telemetry.imports import sensors_import
from heatline.telemetry.models import Sensor, SensorKind

pytestmark = pytest.mark.django_db
HEADER = "传感器编号,类型,户号,换热站编号,片区编号,房间,安装日期,拆除日期"


def csv_gbk(*lines: str) -> bytes:
    return "\n".join((HEADER, *lines)).encode("gbk")


def test_a_gbk_csv_register_creates_the_sensors_and_again_updates_them(org: Org) -> None:
    content = csv_gbk(
        f"S-1,室温,{org.household.account_number},,,卧室,2026-10-10,",
        f"ST-1,换热站,,{org.station.code},,,2025-09-01,",
        f"OUT-1,室外,,,{org.district.code},,,",
    )
    report = sensors_import(content=content, file_name="sensors.csv", commit=True, by=org.admin)
    assert report.errors == [] and report.committed
    room = Sensor.objects.get(code="S-1")
    assert (room.kind, room.household_id, room.room) == (SensorKind.ROOM, org.household.pk, "卧室")
    assert Sensor.objects.get(code="ST-1").station_id == org.station.pk
    assert Sensor.objects.get(code="OUT-1").district_id == org.district.pk
    assert DataImport.objects.filter(kind="sensors", committed=True).count() == 1
    again = csv_gbk(f"S-1,室温,{org.household.account_number},,,客厅,2026-10-10,2026-12-01")
    report = sensors_import(content=again, file_name="sensors.csv", commit=True, by=org.admin)
    room.refresh_from_db()
    assert room.room == "客厅" and str(room.removed_on) == "2026-12-01"
    assert Sensor.objects.count() == 3


def test_one_wrong_row_writes_nothing_and_each_error_names_its_row(org: Org) -> None:
    content = csv_gbk(
        f"S-1,室温,{org.household.account_number},,,卧室,,",
        "S-2,室温,NO-SUCH,,,,,",
        "S-1,室外,,,,,,",
        "S-3,温度计,,,,,,",
        "S-4,换热站,,,,,,",
        f"S-5,室温,{org.household.account_number},,,,2026-12-01,2026-11-01",
    )
    report = sensors_import(content=content, file_name="sensors.csv", commit=True, by=org.admin)
    assert not report.committed
    assert {(e.row, e.column) for e in report.errors} == {
        (3, "户号"), (4, "传感器编号"), (5, "类型"), (6, "换热站编号"), (7, "拆除日期"),
    }  # fmt: skip
    assert not Sensor.objects.exists()


def test_xlsx_through_the_console_dry_run_then_commit(org: Org, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["S-9", "room", org.household.account_number, None, None, "书房", None, None])
    path = tmp_path / "sensors.xlsx"
    book.save(path)
    out = io.StringIO()
    call_command("import_sensors", str(path), stdout=out, stderr=io.StringIO())
    assert not Sensor.objects.exists() and "试运行" in out.getvalue()
    call_command("import_sensors", str(path), "--commit", stdout=out, stderr=io.StringIO())
    assert Sensor.objects.get(code="S-9").room == "书房"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_gbk("S-10,室温,,,,,,"))
    with pytest.raises(CommandError):
        call_command("import_sensors", str(bad), "--commit", stdout=io.StringIO(), stderr=io.StringIO())
