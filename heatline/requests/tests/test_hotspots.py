"""热点预警 (issue 20): clusters of requests from one building, a caller's third request of the season and
sensitive words open one alert each for the responsible head, escalating every 30 minutes unacknowledged."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from heatline.core.models import HeatingSeason
from heatline.outbox.models import Outbox
from heatline.registry.services import api_token_create
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.hotspots import hotspots_detect, hotspots_escalate
from heatline.requests.jobs import hotspots as hotspots_job
from heatline.requests.models import HotspotAlert, HotspotKind, HotspotLevel
from heatline.requests.tests.factories import registered_request

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=TZ)


@pytest.fixture
def season(db: None) -> HeatingSeason:
    return HeatingSeason.objects.create(
        year=2026, first_heating_day=dt.date(2026, 10, 20), last_day=dt.date(2027, 4, 10)
    )


@pytest.mark.django_db
def test_five_calls_from_one_building_in_two_hours_open_one_alert(org: Org, season: HeatingSeason) -> None:
    neighbours = [HouseholdFactory(building=org.building) for _ in range(6)]
    with time_machine.travel(T0, tick=False) as clock:
        for household in neighbours[:4]:
            registered_request(org, household=household, content="暖气不热")
            clock.shift(dt.timedelta(minutes=10))
        assert hotspots_job(dt.datetime.now(tz=TZ)) == 0  # four: not yet
        registered_request(org, household=neighbours[4], content="暖气不热")
        now = dt.datetime.now(tz=TZ)
        assert hotspots_detect(now=now) > 0  # the fifth trips it within the round
        alert = HotspotAlert.objects.get(kind=HotspotKind.BUILDING)
        assert alert.requests.count() == 5 and alert.responsible == org.responsible
        assert Outbox.objects.filter(topic="notify", payload__recipient=org.responsible.pk).exists()
        registered_request(org, household=neighbours[5], content="暖气不热")
        hotspots_detect(now=dt.datetime.now(tz=TZ))
        assert HotspotAlert.objects.filter(kind=HotspotKind.BUILDING).count() == 1  # joined, not a new alert
        assert HotspotAlert.objects.get(kind=HotspotKind.BUILDING).requests.count() == 6
        assert hotspots_detect(now=dt.datetime.now(tz=TZ)) == 0  # nothing new: the worker may sleep


@pytest.mark.django_db
def test_calls_spread_over_more_than_the_window_do_not_trip_it(org: Org, season: HeatingSeason) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            registered_request(org, household=HouseholdFactory(building=org.building), content="暖气不热")
            clock.shift(dt.timedelta(minutes=40))
        hotspots_detect(now=dt.datetime.now(tz=TZ))
    assert not HotspotAlert.objects.filter(kind=HotspotKind.BUILDING).exists()


@pytest.mark.django_db
def test_a_callers_third_request_and_sensitive_words(org: Org, season: HeatingSeason) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        for day in range(3):
            if day:
                clock.shift(dt.timedelta(days=1))  # a call a day: no cluster, but the third of the season
            registered_request(
                org, phone="13700001111", content="暖气不热" if day < 2 else "家里有老人,还是冷"
            )
        hotspots_detect(now=dt.datetime.now(tz=TZ))
    repeat = HotspotAlert.objects.get(kind=HotspotKind.REPEAT_CALLER)
    assert repeat.key == "13700001111" and repeat.requests.count() == 3
    words = HotspotAlert.objects.get(kind=HotspotKind.WORDS)
    assert "老人" in words.title and words.requests.count() == 1


@pytest.mark.django_db
def test_unacknowledged_alerts_climb_and_stop_once_acknowledged(org: Org, season: HeatingSeason) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        registered_request(org, content="媒体要来采访")
        hotspots_detect(now=dt.datetime.now(tz=TZ))
        alert = HotspotAlert.objects.get(kind=HotspotKind.WORDS)
        clock.shift(dt.timedelta(minutes=29))
        assert hotspots_escalate(now=dt.datetime.now(tz=TZ)) == 0
        clock.shift(dt.timedelta(minutes=2))
        assert hotspots_escalate(now=dt.datetime.now(tz=TZ)) == 1
        alert.refresh_from_db()
        assert alert.level == HotspotLevel.DEPARTMENT and alert.responsible == org.dept_head
        clock.shift(dt.timedelta(minutes=31))
        hotspots_escalate(now=dt.datetime.now(tz=TZ))
        alert.refresh_from_db()
        assert alert.level == HotspotLevel.BRANCH and alert.responsible == org.branch_manager
        # the API lists it with its requests; the branch manager acknowledges it; it climbs no more
        client = Client(headers={"Authorization": f"Bearer {api_token_create(staff=org.branch_manager)}"})
        listed = client.get("/api/v1/hotspots", {"since": T0.isoformat()}).json()
        assert [h["id"] for h in listed] == [alert.pk] and len(listed[0]["requests"]) == 1
        response = client.post(f"/api/v1/hotspots/{alert.pk}/acknowledge")
        assert response.status_code == 200 and response.json()["acknowledged_at"]
        assert client.post(f"/api/v1/hotspots/{alert.pk}/acknowledge").status_code == 409
        worker = Client(headers={"Authorization": f"Bearer {api_token_create(staff=org.worker)}"})
        assert worker.post(f"/api/v1/hotspots/{alert.pk}/acknowledge").status_code == 403
        clock.shift(dt.timedelta(hours=2))
        assert hotspots_escalate(now=dt.datetime.now(tz=TZ)) == 0


@pytest.mark.django_db
def test_the_dashboard_shows_open_alerts_to_their_district_only(org: Org, season: HeatingSeason) -> None:
    with time_machine.travel(T0, tick=False):
        registered_request(org, content="要去上访")
        hotspots_detect(now=dt.datetime.now(tz=TZ))
        mine, other = Client(), Client()
        mine.force_login(org.responsible)
        other.force_login(org.other_responsible)
        page = mine.get("/").content.decode()
        assert 'id="hotspots"' in page and "上访" in page
        assert 'id="hotspots"' not in other.get("/").content.decode()
        alert = HotspotAlert.objects.get()
        assert mine.post(f"/requests/hotspots/{alert.pk}/acknowledge/").status_code == 302
        assert 'id="hotspots"' not in mine.get("/").content.decode()
