"""`heatline import-register` (issue 18): the billing system's register, checked row by row, all or nothing,
idempotent, with the season's 报停/复供 delta kept as history and every phone popping the household up."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from heatline.core.errors import InvalidInput
from heatline.core.models import AuditEvent, DataImport
from heatline.core.tests.import_files import csv_bytes, xlsx_bytes
from heatline.registry.imports import register_import
from heatline.registry.models import (
    UNASSIGNED_CODE,
    Building,
    Community,
    Company,
    HeatingStatus,
    HeatingStatusChange,
    Household,
    HouseholdPhone,
    Station,
    Unit,
)
from heatline.registry.selectors import households_by_phone
from heatline.registry.tests.factories import Org

T0 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HEADER = [
    "换热站",
    "小区",
    "楼栋",
    "单元",
    "户号",
    "地址",
    "户主",
    "电话",
    "供热面积(㎡)",
    "供热状态",
    "状态日期",
    "片区",
]


def register_rows(org: Org) -> list[list[object]]:
    return [
        HEADER,
        ["导入1号站", "导入小区", "1号楼", "1单元", "8800001", "导入小区1号楼1单元101室", "张三",
         "13911110001;0456-8221234 13911110003", "86.5", "在供", "", org.district.name],
        ["导入1号站", "导入小区", "1", "1", "8800002", "导入小区1号楼1单元102室", "李四", "13911110002", "92",
         "报停", "2026-10-15", org.district.code],
        ["导入2号站", "无片区小区", "3", "", "8800003", "无片区小区3号楼501室", "王五", "", "70", "在供", "", ""],
    ]  # fmt: skip


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Station, Community, Building, Unit, Household, HouseholdPhone))


def run(content: bytes, *, commit: bool, name: str = "register.csv") -> object:
    return register_import(content=content, file_name=name, commit=commit, by=None)


@pytest.mark.django_db
@pytest.mark.parametrize(("encoding", "name"), [("gbk", "r.csv"), ("utf-8-sig", "r.csv"), ("xlsx", "r.xlsx")])
def test_dry_run_writes_nothing_then_commit_builds_the_tree(org: Org, encoding: str, name: str) -> None:
    rows = register_rows(org)
    content = xlsx_bytes(rows) if encoding == "xlsx" else csv_bytes(rows, encoding=encoding)
    before = counts()
    with time_machine.travel(T0, tick=False):
        report = run(content, commit=False, name=name)
        assert report.ok and not report.committed  # type: ignore[attr-defined]
        assert report.created["热用户"] == 3 and report.created["楼栋"] == 2  # type: ignore[attr-defined]
        assert counts() == before and not DataImport.objects.exists()
        report = run(content, commit=True, name=name)
    assert report.committed  # type: ignore[attr-defined]
    first = Household.objects.get(account_number="8800001")
    assert (first.contact_name, first.phone, first.phone2) == ("张三", "13911110001", "04568221234")
    assert first.building.district == org.district and first.unit is not None and first.unit.number == "1"
    assert first.building.station is not None and first.building.station.name == "导入1号站"
    assert str(first.heated_area) == "86.50" and first.room == "101"
    stopped = Household.objects.get(account_number="8800002")
    assert stopped.heating_status == HeatingStatus.STOPPED and stopped.heating_status_since == dt.date(
        2026, 10, 15
    )
    # a row without 片区 puts its new community and building under 待分配, for the checklist to show
    lone = Household.objects.get(account_number="8800003")
    assert lone.building.district.code == UNASSIGNED_CODE and lone.unit is None
    record = DataImport.objects.get()
    assert record.committed and record.report["created"]["热用户"] == 3
    assert AuditEvent.objects.filter(action="register_import", object_id=str(record.pk)).exists()


@pytest.mark.django_db
def test_the_same_file_twice_changes_nothing(org: Org) -> None:
    content = csv_bytes(register_rows(org), encoding="gbk")
    with time_machine.travel(T0, tick=False):
        run(content, commit=True)
        before = (
            counts(),
            HeatingStatusChange.objects.count(),
            list(Household.objects.values_list("updated_at")),
        )
        report = run(content, commit=True)
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0  # type: ignore[attr-defined]
    assert report.unchanged == 3  # type: ignore[attr-defined]
    after = (counts(), HeatingStatusChange.objects.count(), list(Household.objects.values_list("updated_at")))
    assert after == before


@pytest.mark.django_db
def test_a_delta_updates_phones_holder_and_status_with_history(org: Org) -> None:
    rows = register_rows(org)
    with time_machine.travel(T0, tick=False):
        run(csv_bytes(rows), commit=True)
    rows[1][6], rows[1][7] = "张三丰", "13911119999"  # new holder, one phone: the others go
    rows[1][9], rows[1][10] = "报停", "2026-11-20"
    rows[2][9], rows[2][10] = "复供", ""
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        report = run(csv_bytes(rows), commit=True)
    assert report.updated["热用户"] == 2 and report.updated["供热状态"] == 2  # type: ignore[attr-defined]
    first = Household.objects.get(account_number="8800001")
    assert (first.contact_name, first.phone, first.phone2) == ("张三丰", "13911119999", "")
    assert not HouseholdPhone.objects.filter(household=first).exists()
    assert first.heating_status_since == dt.date(2026, 11, 20)
    history = list(
        HeatingStatusChange.objects.order_by("household__account_number", "since").values_list(
            "household__account_number", "previous", "status", "since"
        )
    )
    assert history == [
        ("8800001", "heating", "stopped", dt.date(2026, 11, 20)),
        ("8800002", "", "stopped", dt.date(2026, 10, 15)),
        ("8800002", "stopped", "heating", dt.date(2026, 12, 10)),  # no date given: the import's day
    ]


@pytest.mark.django_db
def test_every_register_phone_pops_the_household_up(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        run(csv_bytes(register_rows(org)), commit=True)
        household = Household.objects.get(account_number="8800001")
        for phone in ("13911110001", "04568221234", "13911110003"):
            assert list(households_by_phone(phone=phone, viewer=org.operator)) == [household]
        client = Client()
        client.force_login(org.operator)
        html = client.get("/intake/?caller=13911110003").content.decode()
        assert "8800001" in html
        html = client.get("/intake/?caller=13911110002").content.decode()
        assert "8800002" in html and "自 2026-10-15 起" in html


@pytest.mark.django_db
def test_wrong_rows_are_reported_with_row_and_column_and_nothing_is_written(org: Org) -> None:
    rows = register_rows(org)
    rows.append(["导入1号站", "导入小区", "1", "1", "8800001", "重复户号", "", "", "", "", "", ""])
    rows.append(
        [
            "导入1号站",
            "导入小区",
            "",
            "1",
            "8800009",
            "无楼栋",
            "",
            "139x",
            "九十",
            "半供",
            "2026-13-01",
            "不存在片区",
        ]
    )
    before = counts()
    with time_machine.travel(T0, tick=False):
        report = run(csv_bytes(rows), commit=True)
    found = {(error.row, error.column) for error in report.errors}  # type: ignore[attr-defined]
    assert found == {
        (5, "户号"), (6, "楼栋"), (6, "电话"), (6, "供热面积"), (6, "供热状态"), (6, "状态日期"), (6, "片区"),
    }  # fmt: skip
    assert "第2行" in next(str(e) for e in report.errors if e.row == 5)  # type: ignore[attr-defined]
    assert not report.committed and counts() == before and not DataImport.objects.exists()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_command_dry_runs_by_default_and_exits_1_on_errors(org: Org, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    good, bad = folder / "good.csv", folder / "bad.csv"
    good.write_bytes(csv_bytes(register_rows(org), encoding="gbk"))
    bad.write_bytes(csv_bytes([HEADER, ["站", "小区", "", "", "1", "地址", "", "", "", "", "", ""]]))
    out = StringIO()
    with time_machine.travel(T0, tick=False):
        call_command("import_register", str(good), stdout=out, stderr=StringIO())
        assert "试运行" in out.getvalue() and not Household.objects.filter(account_number="8800001").exists()
        call_command("import_register", str(good), "--commit", stdout=out, stderr=StringIO())
        assert Household.objects.filter(account_number__startswith="88000").count() == 3
        with pytest.raises(CommandError, match="未写入任何数据"):
            call_command("import_register", str(bad), "--commit", stdout=out, stderr=StringIO())
    assert "第2行[楼栋]:缺少楼栋" in out.getvalue()


@pytest.mark.django_db
def test_no_company_yet_is_refused() -> None:
    assert not Company.objects.exists()
    with pytest.raises(InvalidInput, match="heatline setup"):
        run(csv_bytes([HEADER, ["站", "小区", "1", "", "1", "地址", "", "", "", "", "", ""]]), commit=True)


@pytest.mark.django_db
def test_a_dry_run_reports_every_level_it_would_create(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        report = run(csv_bytes(register_rows(org)), commit=False)
    created = {name: count for name, count in report.created.items() if count}  # type: ignore[attr-defined]
    # two stations, two communities, buildings 导入小区/1 and 无片区小区/3, one unit, three households
    assert created == {"换热站": 2, "小区": 2, "楼栋": 2, "单元": 1, "热用户": 3}
    assert report.rows == 3 and report.unchanged == 0  # type: ignore[attr-defined]
    assert not HeatingStatusChange.objects.exists() and not Station.objects.filter(name="导入1号站").exists()


@pytest.mark.django_db
def test_a_delta_dry_run_counts_the_changes_and_writes_none(org: Org) -> None:
    rows = register_rows(org)
    with time_machine.travel(T0, tick=False):
        run(csv_bytes(rows), commit=True)
        rows[1][9], rows[1][10] = "报停", "2026-11-20"
        before = (list(Household.objects.order_by("pk").values_list("heating_status", "heating_status_since")),
                  HeatingStatusChange.objects.count())  # fmt: skip
        report = run(csv_bytes(rows), commit=False)
    assert report.updated["热用户"] == 1 and report.updated["供热状态"] == 1  # type: ignore[attr-defined]
    assert report.unchanged == 2 and not report.committed  # type: ignore[attr-defined]
    after = (list(Household.objects.order_by("pk").values_list("heating_status", "heating_status_since")),
             HeatingStatusChange.objects.count())  # fmt: skip
    assert after == before


@pytest.mark.django_db
def test_three_phones_keep_the_third_and_a_later_file_without_it_removes_it(org: Org) -> None:
    rows = register_rows(org)
    with time_machine.travel(T0, tick=False):
        run(csv_bytes(rows), commit=True)
        household = Household.objects.get(account_number="8800001")
        assert (household.phone, household.phone2) == ("13911110001", "04568221234")
        assert list(HouseholdPhone.objects.filter(household=household).values_list("phone", flat=True)) == [
            "13911110003"
        ]
        rows[1][7] = "13911110001、0456-8221234"  # the billing system dropped the third number
        report = run(csv_bytes(rows), commit=True)
    assert report.updated["热用户"] == 1 and report.unchanged == 2  # type: ignore[attr-defined]
    assert not HouseholdPhone.objects.filter(household=household).exists()
    assert not households_by_phone(phone="13911110003", viewer=org.operator).exists()
    assert list(households_by_phone(phone="04568221234", viewer=org.operator)) == [household]


@pytest.mark.django_db
def test_a_stopped_status_dated_in_an_excel_date_cell(org: Org) -> None:
    rows = register_rows(org)
    rows[2][10] = dt.datetime(2026, 10, 15)  # noqa: DTZ001 - Excel cells carry no time zone
    with time_machine.travel(T0, tick=False):
        report = run(xlsx_bytes(rows), commit=True, name="r.xlsx")
    assert report.ok  # type: ignore[attr-defined]
    change = HeatingStatusChange.objects.get(household__account_number="8800002")
    assert (change.previous, change.status, change.since) == ("", "stopped", dt.date(2026, 10, 15))


@pytest.mark.django_db
def test_a_household_moved_to_another_building_keeps_no_unit_of_the_old_one(org: Org) -> None:
    rows = register_rows(org)
    with time_machine.travel(T0, tick=False):
        run(csv_bytes(rows), commit=True)
        # the billing system now lists 8800001 in building 2, with no unit
        rows[1][2], rows[1][3] = "2", ""
        report = run(csv_bytes(rows), commit=True)
    assert report.ok  # type: ignore[attr-defined]
    moved = Household.objects.select_related("building", "unit__building").get(account_number="8800001")
    assert moved.building.number == "2"
    # the household's unit must belong to its building (or be none), never a unit of the old building
    assert moved.unit is None or moved.unit.building_id == moved.building_id
