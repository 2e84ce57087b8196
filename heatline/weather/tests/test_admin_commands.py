"""The admin's edit of a day (audited) and the import command's dry run and commit."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from heatline.core.models import AuditEvent
from heatline.registry.tests.factories import Org
from heatline.weather.models import WeatherDay
from heatline.weather.tests.factories import observed


@pytest.mark.django_db
def test_an_administrators_edit_is_saved_and_audited(org: Org) -> None:
    # given
    day = observed(dt.date(2026, 12, 1), -20.0)
    client = Client()
    client.force_login(org.admin)
    url = f"/admin/weather/weatherday/{day.pk}/change/"

    # when
    response = client.post(
        url,
        {
            "date": "2026-12-01",
            "observed_mean_c": "-22.5",
            "observed_low_c": "-25",
            "observed_source": "manual",
            "forecast_source": "",
        },
    )

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    day.refresh_from_db()
    assert day.observed_mean_c == -22.5 and day.observed_source == "manual"
    event = AuditEvent.objects.get(object_type="weather.weatherday", object_id=str(day.pk), action="change")
    assert event.actor == org.admin and event.extra["observed_mean_c"] == -22.5


@pytest.mark.django_db
def test_weather_import_command_reports_first_and_writes_with_commit(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # given
    good = tmp_path / "forecast.csv"
    good.write_bytes("日期,最低气温,最高气温\n2026-12-08,-30,-20\n".encode("gbk"))
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,最低气温,最高气温\n2026-12-08,-10,-20\n", encoding="utf-8")

    # when: a dry run
    call_command("weather_import", str(good))

    # then
    assert "试运行" in capsys.readouterr().out and not WeatherDay.objects.exists()

    # when
    call_command("weather_import", str(good), "--commit")

    # then
    assert WeatherDay.objects.get(date=dt.date(2026, 12, 8)).forecast_mean_c == -25.0

    # when: a bad row
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("weather_import", str(bad), "--commit")

    # then
    assert "第2行[最低气温]" in capsys.readouterr().out
    assert WeatherDay.objects.get(date=dt.date(2026, 12, 8)).forecast_mean_c == -25.0
