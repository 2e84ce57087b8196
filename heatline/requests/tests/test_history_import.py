"""`heatline import-requests` (issue 18): past seasons' requests come in as closed history — matched to
households, idempotent, without clocks or messages — and the high-risk areas and the watch list read them."""

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from heatline.core.models import DataImport, HeatingSeason
from heatline.core.tests.import_files import csv_bytes, xlsx_bytes
from heatline.inspections.models import Level
from heatline.inspections.services import hazard_detect
from heatline.outbox.models import Outbox
from heatline.proactive.services import watchlist_candidates
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.imports import requests_import
from heatline.requests.models import Action, Callback, Clock, RequestEvent, ServiceRequest, Status

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=TZ)
HEADER = [
    "来电时间",
    "户号",
    "地址",
    "电话",
    "来源",
    "外部单号",
    "类别",
    "诉求内容",
    "原因",
    "处理结果",
    "办结时间",
    "回访结果",
]


def rows(org: Org) -> list[list[object]]:
    return [
        HEADER,
        ["2025-12-03 08:15", org.household.account_number, "", "13904561234", "12345", "GD20251203000123",
         "室温不达标", "家里暖气不热,室温16度", "管道堵塞", "已清洗管道", "2025-12-04 16:00", "满意"],
        ["2025/12/05 19:40", "", org.other_household.address, "13904565678", "963000", "", "", "楼道管道漏水",
         "设备老化", "已更换阀门", "2025/12/05 22:10", "未回访"],
        ["2024-12-01 09:00", "", "没有这个地址1号", "13904569999", "12319", "CJ2024-1", "暖气不热/停热",
         "暖气不热", "", "", "", "不满意"],
    ]  # fmt: skip


def run(org_rows: list[list[object]], *, commit: bool = True) -> object:
    with time_machine.travel(T0, tick=False):
        return requests_import(
            content=csv_bytes(org_rows, encoding="gbk"), file_name="h.csv", commit=commit, by=None
        )


@pytest.mark.django_db
def test_rows_become_closed_history_without_clocks_or_messages(org: Org) -> None:
    outbox_before = Outbox.objects.count()
    report = run(rows(org))
    assert report.committed and report.created["历史诉求"] == 3  # type: ignore[attr-defined]
    assert any("未匹配到热用户" in warning for warning in report.warnings)  # type: ignore[attr-defined]
    by_account = ServiceRequest.objects.get(external_id="GD20251203000123")
    assert by_account.household == org.household and by_account.district == org.district
    assert by_account.status == Status.CLOSED and by_account.is_imported
    assert by_account.closed_at == dt.datetime(2025, 12, 4, 16, 0, tzinfo=TZ)
    assert by_account.category is not None and by_account.category.name == "室温不达标"
    assert by_account.cause is not None and by_account.cause.name == "管道堵塞"
    assert by_account.satisfaction == "satisfied" and by_account.is_solved is True
    assert by_account.number.startswith("RX20251203")
    by_address = ServiceRequest.objects.get(source="963000")
    assert by_address.household == org.other_household and by_address.external_id.startswith("IMP-")
    assert by_address.category is not None  # suggested from the text, as intake does
    unmatched = ServiceRequest.objects.get(external_id="CJ2024-1")
    assert unmatched.household is None and unmatched.address == "没有这个地址1号"
    assert unmatched.closed_at == unmatched.received_at  # no closing time given
    events = RequestEvent.objects.filter(service_request__is_imported=True)
    assert events.count() == 3 and {e.action for e in events} == {Action.IMPORT}
    assert all(e.extra["imported"] is True for e in events)
    assert not Clock.objects.filter(service_request__is_imported=True).exists()
    assert Outbox.objects.count() == outbox_before
    assert sorted(Callback.objects.values_list("satisfaction", flat=True)) == ["satisfied", "unsatisfied"]
    assert set(HeatingSeason.objects.values_list("year", flat=True)) >= {2024, 2025}


@pytest.mark.django_db
def test_a_re_import_adds_nothing(org: Org) -> None:
    run(rows(org))
    before = (ServiceRequest.objects.count(), RequestEvent.objects.count(), Callback.objects.count())
    report = run(rows(org))
    assert report.created["历史诉求"] == 0 and report.unchanged == 3  # type: ignore[attr-defined]
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count(), Callback.objects.count()) == before


@pytest.mark.django_db
def test_wrong_rows_write_nothing(org: Org) -> None:
    bad = rows(org)
    bad.append(
        [
            "2025-12-06 10:00",
            "",
            "",
            "139",
            "微博",
            "",
            "没有的类别",
            "x",
            "没有的原因",
            "",
            "2025-12-01",
            "还行",
        ]
    )
    bad.append(["2027-01-01 10:00", "9999999", "", "", "12345", "GD20251203000123", "", "", "", "", "", ""])
    bad.append(["2025-12-03 08:15", "", "", "", "12345", "GD20251203000123", "", "重复", "", "", "", ""])
    report = run(bad)
    found = {(e.row, e.column) for e in report.errors}  # type: ignore[attr-defined]
    assert {(5, "来源"), (5, "类别"), (5, "原因"), (5, "回访结果"), (5, "电话")} <= found
    assert {(6, "来电时间"), (6, "户号"), (6, "诉求内容"), (7, "外部单号")} <= found
    assert not report.committed and not ServiceRequest.objects.exists() and not DataImport.objects.exists()  # type: ignore[attr-defined]
    closed_early = [
        HEADER,
        ["2025-12-03 08:15", "", "", "", "12345", "X1", "", "x", "", "", "2025-12-02", ""],
    ]
    assert {(e.row, e.column) for e in run(closed_early).errors} == {(2, "办结时间")}  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_hazard_areas_and_the_watch_list_build_from_imported_seasons(org: Org) -> None:
    neighbours = [HouseholdFactory(building=org.building) for _ in range(11)]
    history = [HEADER]
    for year in (2024, 2025):
        for index, household in enumerate(neighbours):
            history.append(
                [f"{year}-12-{index + 1:02d} 09:00", household.account_number, "", "13900000000", "12345",
                 f"GD{year}-{index}", "室温不达标", "暖气不热", "管道堵塞", "已处理", f"{year}-12-{index + 2:02d} 09:00",
                 "满意"]
            )  # fmt: skip
    assert run(history).committed  # type: ignore[attr-defined]
    season = HeatingSeason.objects.get(year=2025)
    with time_machine.travel(T0, tick=False):
        areas = hazard_detect(season=season)
    buildings = {area.building_id for area in areas if area.level == Level.BUILDING}
    assert org.building.pk in buildings
    # the first live season's watch list lists last season's imported complaints
    HeatingSeason.objects.create(
        year=2026, first_heating_day=dt.date(2026, 10, 20), last_day=dt.date(2027, 4, 10)
    )
    candidates = watchlist_candidates(HeatingSeason.objects.get(year=2026))
    assert all(candidates[h.pk].complaints == 1 for h in neighbours)


@pytest.mark.django_db
def test_a_request_two_years_old_comes_in_through_the_command(org: Org, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes(csv_bytes([HEADER, ["2024-11-02 09:00", org.household.account_number, "", "", "12345",
                                         "GD-OLD", "", "暖气不热", "", "", "", ""]], encoding="gbk"))  # fmt: skip
    with time_machine.travel(T0, tick=False):
        call_command("import_requests", str(path), "--commit", stdout=StringIO(), stderr=StringIO())
    assert ServiceRequest.objects.get(external_id="GD-OLD").received_at.year == 2024


@pytest.mark.django_db
def test_a_dry_run_reports_what_it_would_create_and_writes_nothing(org: Org) -> None:
    seasons_before = set(HeatingSeason.objects.values_list("year", flat=True))
    report = run(rows(org), commit=False)
    assert report.ok and not report.committed  # type: ignore[attr-defined]
    assert report.created["历史诉求"] == 3  # type: ignore[attr-defined]
    assert report.created["采暖期"] == len({2024, 2025} - seasons_before)  # type: ignore[attr-defined]
    assert not ServiceRequest.objects.exists() and not RequestEvent.objects.exists()
    assert not Callback.objects.exists() and not DataImport.objects.exists()
    assert set(HeatingSeason.objects.values_list("year", flat=True)) == seasons_before


@pytest.mark.django_db
def test_the_seasons_made_for_imported_rows_have_the_provincial_default_bounds(org: Org) -> None:
    HeatingSeason.objects.filter(year__in=[2024, 2025]).delete()
    report = run(rows(org))
    assert report.created["采暖期"] == 2  # type: ignore[attr-defined]
    seasons = {
        s.year: (s.first_heating_day, s.last_day) for s in HeatingSeason.objects.filter(year__in=[2024, 2025])
    }
    assert seasons == {
        2024: (dt.date(2024, 10, 10), dt.date(2025, 4, 10)),
        2025: (dt.date(2025, 10, 10), dt.date(2026, 4, 10)),
    }


@pytest.mark.django_db
def test_a_second_file_repeating_rows_with_and_without_an_external_number_adds_only_the_new_row(
    org: Org,
) -> None:
    first = rows(org)
    run(first)
    second = [*first, ["2025-12-09 11:00", "", org.other_household.address, "13904565678", "963000", "",
                       "", "暖气漏水", "", "", "2025-12-09 15:00", "基本满意"]]  # fmt: skip
    report = run(second)
    assert report.created["历史诉求"] == 1 and report.unchanged == 3  # type: ignore[attr-defined]
    assert ServiceRequest.objects.filter(is_imported=True).count() == 4
    assert ServiceRequest.objects.filter(source="963000").count() == 2
    new = ServiceRequest.objects.get(content="暖气漏水")
    callback = Callback.objects.get(service_request=new)
    assert (callback.satisfaction, callback.is_solved) == ("basic", True)


@pytest.mark.django_db
def test_the_account_number_wins_over_the_address(org: Org) -> None:
    history = [HEADER, ["2025-12-03 08:15", org.household.account_number, org.other_household.address, "",
                        "12345", "GD-1", "", "暖气不热", "", "", "", ""]]  # fmt: skip
    assert run(history).committed  # type: ignore[attr-defined]
    assert ServiceRequest.objects.get(external_id="GD-1").household == org.household


@pytest.mark.django_db
def test_excel_date_cells_are_read_as_local_times(org: Org) -> None:
    history = [HEADER, [dt.datetime(2025, 12, 3, 8, 15), org.household.account_number, "", "", "12345",  # noqa: DTZ001
                        "GD-X", "", "暖气不热", "", "", dt.datetime(2025, 12, 4, 16, 0), "满意"]]  # noqa: DTZ001  # fmt: skip
    with time_machine.travel(T0, tick=False):
        report = requests_import(content=xlsx_bytes(history), file_name="h.xlsx", commit=True, by=None)
    assert report.ok, report.errors
    request = ServiceRequest.objects.get(external_id="GD-X")
    assert request.received_at == dt.datetime(2025, 12, 3, 8, 15, tzinfo=TZ)
    assert request.closed_at == dt.datetime(2025, 12, 4, 16, 0, tzinfo=TZ)


@pytest.mark.django_db
def test_a_request_closed_the_same_day_given_as_a_date_only_is_accepted(org: Org) -> None:
    # old systems often export the closing day without its time; a call at 15:00 closed "that day" is valid
    history = [HEADER, ["2025-12-03 15:00", org.household.account_number, "", "", "12345", "GD-D", "",
                        "暖气不热", "", "已处理", "2025-12-03", ""]]  # fmt: skip
    report = run(history)
    assert report.ok, [str(e) for e in report.errors]  # type: ignore[attr-defined]
    request = ServiceRequest.objects.get(external_id="GD-D")
    assert request.closed_at is not None and request.closed_at >= request.received_at


@pytest.mark.django_db
def test_a_call_of_this_morning_given_as_a_date_only_is_not_in_the_future(org: Org) -> None:
    history = [HEADER, ["2026-12-07", org.household.account_number, "", "", "12345", "GD-T", "", "暖气不热",
                        "", "", "", ""]]  # fmt: skip
    report = run(history)  # the clock stands at 2026-12-07 10:00
    assert report.ok, [str(e) for e in report.errors]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_one_imported_season_is_not_yet_a_hazard_area_and_older_seasons_leave_the_watch_list(
    org: Org,
) -> None:
    neighbours = [HouseholdFactory(building=org.building) for _ in range(11)]
    history = [HEADER]
    for index, household in enumerate(neighbours):
        history.append(
            [f"2024-12-{index + 1:02d} 09:00", household.account_number, "", "", "12345", f"GD-{index}",
             "室温不达标", "暖气不热", "管道堵塞", "已处理", "", ""]
        )  # fmt: skip
    assert run(history).committed  # type: ignore[attr-defined]
    with time_machine.travel(T0, tick=False):
        areas = hazard_detect(season=HeatingSeason.objects.get(year=2024))
    assert org.building.pk not in {area.building_id for area in areas if area.level == Level.BUILDING}
    # 2024's complaints are two seasons before 2026: its watch list does not list them
    HeatingSeason.objects.get_or_create(
        year=2025, defaults={"first_heating_day": dt.date(2025, 10, 20), "last_day": dt.date(2026, 4, 10)}
    )
    HeatingSeason.objects.create(
        year=2026, first_heating_day=dt.date(2026, 10, 20), last_day=dt.date(2027, 4, 10)
    )
    candidates = watchlist_candidates(HeatingSeason.objects.get(year=2026))
    assert not any(h.pk in candidates for h in neighbours)
