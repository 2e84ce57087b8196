"""The forecast adapter and the file import: a recorded QWeather response, CSV (GBK) and .xlsx files, bad
rows (nothing half-imported)."""

import datetime as dt
import gzip
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from heatline.core.models import AuditEvent
from heatline.weather.forecast import ForecastError, qweather_parse
from heatline.weather.models import WeatherDay
from heatline.weather.services import weather_import

DATA = Path(__file__).parent / "data"


def test_qweather_recorded_response_parses_days_lows_highs_and_means() -> None:
    # given
    body = (DATA / "qweather_3d.json").read_bytes()

    # when
    forecast = qweather_parse(body)

    # then
    assert forecast.source == "qweather"
    assert forecast.issued_at == dt.datetime(2026, 12, 7, 10, 35, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert [(d.date, d.low_c, d.high_c, d.mean_c) for d in forecast.days] == [
        (dt.date(2026, 12, 7), -25.0, -12.0, -18.5),
        (dt.date(2026, 12, 8), -31.0, -18.0, -24.5),
        (dt.date(2026, 12, 9), -34.0, -21.0, -27.5),
    ]


def test_qweather_gzip_body_is_decompressed() -> None:
    # given: the provider compresses its answers
    body = gzip.compress((DATA / "qweather_3d.json").read_bytes())

    # when
    forecast = qweather_parse(body)

    # then
    assert len(forecast.days) == 3


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ((DATA / "qweather_401.json").read_bytes(), "401"),
        (b'{"code":"200","daily":[{"fxDate":"2026-12-07","tempMax":"x","tempMin":"-25"}]}', "tempMin"),
        (b'{"code":"200","daily":[]}', "daily"),
        (b"<html>502 Bad Gateway</html>", "JSON"),
        (b'{"code":"200","daily":[{"fxDate":"12/07","tempMax":"-1","tempMin":"-5"}]}', "fxDate"),
    ],
)
def test_qweather_bad_answers_are_refused_whole(body: bytes, words: str) -> None:
    # when / then
    with pytest.raises(ForecastError) as raised:
        qweather_parse(body)
    assert words in raised.value.message


CSV_GOOD = (
    "日期,最低气温,最高气温,日均气温,实测日均气温\n"
    "2026-12-01,-28,-16,,-23.5\n"
    "2026/12/02,-30,-18,-25,\n"
    "2026-12-03,-26,-14,,\n"
)


@pytest.mark.django_db
def test_csv_in_gbk_dry_run_writes_nothing_then_commit_writes_days_and_observed() -> None:
    # given
    content = CSV_GOOD.encode("gbk")

    # when
    dry = weather_import(content=content, file_name="预报.csv", commit=False)

    # then
    assert dry.ok and dry.rows == 3 and not dry.committed
    assert dry.created["逐日气温"] == 3
    assert not WeatherDay.objects.exists()

    # when
    report = weather_import(content=content, file_name="预报.csv", commit=True)

    # then
    assert report.committed and report.created["逐日气温"] == 3
    first, second, third = WeatherDay.objects.order_by("date")
    assert (first.forecast_mean_c, first.observed_mean_c, first.observed_low_c) == (-22.0, -23.5, -28.0)
    assert first.observed_source == "file" and first.forecast_source == "file"
    assert second.forecast_mean_c == -25.0 and second.observed_mean_c is None
    assert third.forecast_mean_c == -20.0
    assert AuditEvent.objects.filter(object_type="weather.weatherday", action="import").count() == 1

    # when: the same file again
    again = weather_import(content=content, file_name="预报.csv", commit=True)

    # then
    assert again.unchanged == 3 and not again.created and not again.updated


@pytest.mark.django_db
def test_xlsx_file_imports() -> None:
    # given
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["日期", "最低气温(℃)", "最高气温(℃)"])
    sheet.append([dt.date(2026, 12, 8), -31, -19])
    sheet.append(["2026-12-09", -29.5, -20.5])
    out = io.BytesIO()
    book.save(out)

    # when
    report = weather_import(content=out.getvalue(), file_name="forecast.xlsx", commit=True)

    # then
    assert report.committed, report.errors
    assert list(WeatherDay.objects.order_by("date").values_list("date", "forecast_mean_c")) == [
        (dt.date(2026, 12, 8), -25.0),
        (dt.date(2026, 12, 9), -25.0),
    ]


@pytest.mark.django_db
def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_written() -> None:
    # given: one good row, then a bad date, a low above the high, a missing high, a repeated date, −99 ℃
    content = (
        "日期,最低气温,最高气温\n"
        "2026-12-01,-28,-16\n"
        "12月2日,-28,-16\n"
        "2026-12-03,-10,-20\n"
        "2026-12-04,-10,\n"
        "2026-12-01,-20,-10\n"
        "2026-12-06,-99,-10\n"
    ).encode()

    # when
    report = weather_import(content=content, file_name="f.csv", commit=True)

    # then
    assert not report.committed
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "日期"), (4, "最低气温"), (5, "最高气温"), (6, "日期"), (7, "最低气温")}
    assert "第3行[日期]" in str(report.errors[0])
    assert not WeatherDay.objects.exists()
