"""`weather-fetch` against a local HTTP server replaying recorded responses (no network): stored days,
a failure that keeps the previous forecast, the worker job's pace."""

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from heatline.weather.jobs import forecast_fetch
from heatline.weather.models import WeatherDay, WeatherFetch
from heatline.weather.services import weather_fetch

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


class Replay(http.server.BaseHTTPRequestHandler):
    answer: tuple[int, bytes] = (200, b"")
    seen: list[str] = []

    def do_GET(self) -> None:
        Replay.seen.append(self.path)
        status, body = Replay.answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def provider(settings) -> Iterator[type[Replay]]:  # type: ignore[no-untyped-def]
    server = http.server.HTTPServer(("127.0.0.1", 0), Replay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HEATLINE_WEATHER_URL = f"http://127.0.0.1:{server.server_port}/v7/weather/3d"
    settings.HEATLINE_WEATHER_KEY = "test-key"
    settings.HEATLINE_WEATHER_LOCATION = "101050601"
    Replay.seen = []
    Replay.answer = (200, (DATA / "qweather_3d.json").read_bytes())
    yield Replay
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_fetch_stores_the_recorded_forecast_with_its_time_and_source(provider: type[Replay]) -> None:
    # when
    result = weather_fetch(now=NOW)

    # then
    assert result.is_ok and result.days == 3
    assert "location=101050601" in provider.seen[0] and "key=test-key" in provider.seen[0]
    day = WeatherDay.objects.get(date=dt.date(2026, 12, 8))
    assert (day.forecast_low_c, day.forecast_high_c, day.forecast_mean_c) == (-31.0, -18.0, -24.5)
    assert day.forecast_source == "qweather"
    assert day.forecast_at == dt.datetime(2026, 12, 7, 2, 35, tzinfo=dt.UTC)
    assert WeatherFetch.objects.get().is_ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        (500, b"Internal Server Error"),
        (200, (DATA / "qweather_401.json").read_bytes()),
        (200, b'{"code":"200","daily":[{"fxDate":"2026-12-08"'),
    ],
)
def test_a_failed_fetch_keeps_the_previous_forecast_and_says_why(
    provider: type[Replay], answer: tuple[int, bytes]
) -> None:
    # given: yesterday's forecast is stored
    weather_fetch(now=NOW)
    provider.answer = answer

    # when
    result = weather_fetch(now=NOW + dt.timedelta(hours=3))

    # then
    assert not result.is_ok and result.error
    assert WeatherDay.objects.get(date=dt.date(2026, 12, 8)).forecast_mean_c == -24.5
    last = WeatherFetch.objects.order_by("-at").first()
    assert last is not None and not last.is_ok and last.error == result.error

    # when: the console command
    with pytest.raises(CommandError, match="保留原有预报"):
        call_command("weather_fetch")


@pytest.mark.django_db
def test_the_job_fetches_once_every_few_hours_and_not_without_a_url(provider: type[Replay], settings) -> None:  # type: ignore[no-untyped-def]
    # when
    with time_machine.travel(NOW, tick=False):
        first = forecast_fetch(NOW)
        again = forecast_fetch(NOW + dt.timedelta(hours=1))
        later = forecast_fetch(NOW + dt.timedelta(hours=3, minutes=1))

    # then
    assert (first, again, later) == (3, 0, 3)
    assert len(provider.seen) == 2

    # when
    settings.HEATLINE_WEATHER_URL = ""

    # then
    assert forecast_fetch(NOW + dt.timedelta(hours=9)) == 0
