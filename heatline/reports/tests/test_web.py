"""Report pages, drill-down, exports and the summary API: access, figures on screen, query bounds."""

import io

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from heatline.registry.tests.factories import Org
from heatline.reports.tests.dataset import NOW, build_day

PERIOD = "from=2025-11-20&to=2025-11-20"


@pytest.fixture
def day(org: Org):  # type: ignore[no-untyped-def]
    return build_day(org)


def _client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_api_answers_401(org: Org) -> None:
    # when
    page = Client().get("/reports/")
    api = Client().get("/api/v1/reports/summary")

    # then
    assert page.status_code == 302
    assert api.status_code == 401


@pytest.mark.django_db
def test_dashboard_shows_the_figures_with_bounded_queries(
    org: Org, day, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    # given
    client = _client(org.manager)

    # when
    # 45 + the calls section (savepoint, one query, release) + the telemetry section (savepoint, three,
    # release) + the weather outlook (savepoint, 6 queries, release)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(61):
        response = client.get(f"/reports/?{PERIOD}")

    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "60.0%" in html  # response rate 3/5
    assert "52.0" in html  # combined score
    assert "样本少" in html
    assert "响应率×0.2" in html  # the help text carries the configured weights
    assert 'id="chart-daily"' in html and "reports/echarts.min.js" in html
    assert "/reports/requests/?from=2025-11-20" in html


@pytest.mark.django_db
def test_district_staff_get_404_for_another_district(org: Org, day) -> None:  # type: ignore[no-untyped-def]
    # given
    client = _client(org.responsible)

    # when
    page = client.get(f"/reports/?{PERIOD}&district={org.other_district.pk}")
    api = client.get(f"/api/v1/reports/summary?{PERIOD}&district={org.other_district.pk}")
    own = client.get(f"/api/v1/reports/summary?{PERIOD}")

    # then
    assert page.status_code == 404
    assert api.status_code == 404
    assert own.json()["total"] == 5


@pytest.mark.django_db
def test_summary_api_returns_the_documented_names(org: Org, day) -> None:  # type: ignore[no-untyped-def]
    # when
    with time_machine.travel(NOW, tick=False):
        body = _client(org.manager).get(f"/api/v1/reports/summary?{PERIOD}&source=963000").json()

    # then
    assert body["total"] == 6
    assert body["classified_in_time"] == 5
    assert body["rates"]["response"]["value"] == 0.6
    assert body["rates"]["resolution"]["value"] == 0.5
    assert body["rates"]["satisfaction"]["value"] == 0.5
    assert body["clocks"]["contact"]["total"] == 5
    assert body["clocks"]["contact"]["met"] == 2
    assert body["clocks"]["contact"]["breached"] == 3
    assert {d["name"] for d in body["definitions"]} >= {"响应率", "解决率", "满意率"}


@pytest.mark.django_db
def test_bad_dates_are_422(org: Org) -> None:
    # when
    response = _client(org.manager).get("/api/v1/reports/summary?from=2025-12-01&to=2025-11-01")

    # then
    assert response.status_code == 422


@pytest.mark.django_db
def test_wall_screen_refreshes_itself(org: Org, day) -> None:  # type: ignore[no-untyped-def]
    # when
    response = _client(org.manager).get(f"/reports/wall/?{PERIOD}&refresh=30")

    # then
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="30">' in response.content.decode()


@pytest.mark.django_db
def test_drilldown_list_shows_the_requests_behind_a_figure(
    org: Org, day, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    # given
    client = _client(org.manager)

    # when
    with django_assert_max_num_queries(8):
        response = client.get(f"/reports/requests/?{PERIOD}&clock=contact&clock_state=breached")

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert day.b.number in html and day.e.number in html and day.f.number in html
    assert day.a.number not in html
    assert "138****0001" in html  # management reads masked phone numbers


@pytest.mark.django_db
def test_request_export_has_chinese_headers_and_the_rows(org: Org, day) -> None:  # type: ignore[no-untyped-def]
    # when
    response = _client(org.manager).get(f"/reports/export/requests.xlsx?{PERIOD}&intake=late")

    # then
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单号", "来源", "类型")
    assert [row[0] for row in rows[1:]] == [day.b.number]
    assert rows[1][15] == "是"  # 登记超时
    assert (rows[1][6], rows[1][7], rows[1][8]) == (
        org.district.name,
        org.community.name,
        org.building.number,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table", ["rates", "clocks", "daily", "categories", "districts", "communities", "households", "buildings"]
)
def test_every_table_exports(org: Org, day, table: str) -> None:  # type: ignore[no-untyped-def]
    # when
    response = _client(org.manager).get(f"/reports/export/{table}.xlsx?{PERIOD}")

    # then
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    header = next(workbook.active.iter_rows(values_only=True))
    assert all(isinstance(cell, str) and cell for cell in header)


@pytest.mark.django_db
def test_console_export_reports_progress(org: Org, day, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    # when
    out = tmp_path / "late.xlsx"
    call_command(
        "report_export",
        "--out",
        str(out),
        "--from",
        "2025-11-20",
        "--to",
        "2025-11-20",
        "--user",
        "t_manager",
    )

    # then
    captured = capsys.readouterr()
    assert "已导出 6 行" in captured.err
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert len(rows) == 7
    assert rows[1][11].count("*") == 4  # masked for management


@pytest.mark.django_db
def test_dashboard_speaks_english_as_the_second_language(org: Org, day, settings) -> None:  # type: ignore[no-untyped-def]
    # given
    client = _client(org.manager)
    client.cookies["django_language"] = "en"

    # when
    html = client.get(f"/reports/?{PERIOD}", headers={"accept-language": "en"}).content.decode()

    # then
    assert "Response rate" in html


@pytest.mark.django_db
def test_the_calls_section_is_on_the_page_of_a_manager_not_of_district_staff(org: Org) -> None:
    # given
    from heatline.reports.tests.test_sections import AFTER_PERIOD, november_calls

    november_calls(org)

    # when
    with time_machine.travel(AFTER_PERIOD, tick=False):
        managers = _client(org.manager).get("/reports/?from=2025-11-01&to=2025-11-30").content.decode()
        districts = _client(org.responsible).get("/reports/?from=2025-11-01&to=2025-11-30").content.decode()

    # then
    assert 'id="section-calls"' in managers and "热线来电接听" in managers
    assert "40.0%" in managers and "20.0%" in managers  # answer rate 2/5, within 15 s 1/5
    assert 'id="calls-abandoned-per-hour"' in managers
    assert 'id="section-calls"' not in districts and "热线来电接听" not in districts
    assert 'id="section-training"' in districts
