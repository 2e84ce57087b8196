import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from heatline.integrations.models import CallbackInvite, RateCounter, ServiceHall
from heatline.integrations.public.selectors import addresses_matching
from heatline.integrations.public.services import (
    REPORTS_PER_IP_PER_HOUR,
    callback_invites_send,
    callback_token,
)
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import HouseholdFactory, Org
from heatline.requests.models import Callback, CallbackChannel, ServiceRequest, Source, Status
from heatline.requests.tests.factories import registered_request, reported_request

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _report(org: Org, **changes: str) -> dict[str, str]:
    form = {
        "address": org.household.address,
        "phone": "13612345678",
        "category": "low_temperature",
        "description": "家里暖气不热,卧室只有17度",
        "form_id": "f" * 32,
        "website": "",
    }
    form.update(changes)
    return form


@pytest.mark.django_db
def test_the_publicity_page_needs_no_login(org: Org, django_assert_max_num_queries: object) -> None:
    # given
    ServiceHall.objects.create(name="江北营业厅", address="黑河市江北路1号", hours="8:00-17:00(采暖期24小时)")
    # when
    with django_assert_max_num_queries(3):  # type: ignore[operator]
        response = Client().get("/public/")
    # then: 第十条 宣传: the three mechanisms, the hotline, the halls
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("未诉先办", "接诉即办", "难诉联办", "963000", "江北营业厅", "黑河市江北路1号", "8:00-17:00"):
        assert text in body
    assert 'name="viewport"' in body


@pytest.mark.django_db
def test_a_resident_reports_and_the_request_is_dispatched(org: Org) -> None:
    # given
    client = Client()
    assert client.get("/public/report/").status_code == 200
    with time_machine.travel(T0, tick=False):
        # when: submitted twice (a double tap)
        first = client.post("/public/report/", _report(org))
        second = client.post("/public/report/", _report(org))

    # then: one request, from the public page, dispatched to the district; an SMS with the number
    assert first.status_code == second.status_code == 200
    service_request = ServiceRequest.objects.get()
    assert service_request.source == Source.PUBLIC
    assert service_request.status == Status.DISPATCHED
    assert service_request.assignee == org.responsible
    assert service_request.number in first.content.decode()
    assert service_request.number in second.content.decode()
    assert Outbox.objects.filter(topic="resident.sms", key=service_request.number).count() == 1


@pytest.mark.django_db
def test_a_typed_address_outside_the_register_is_kept(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        response = Client().post("/public/report/", _report(org, address="解放路99号", category=""))
    assert response.status_code == 200
    service_request = ServiceRequest.objects.get()
    assert service_request.address == "解放路99号"
    assert service_request.status == Status.REGISTERED  # the operator picks the district


@pytest.mark.django_db
def test_the_honeypot_refuses_a_bot(org: Org) -> None:
    response = Client().post("/public/report/", _report(org, website="http://spam.example"))
    assert response.status_code == 429
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
def test_reports_are_rate_limited_per_ip_and_per_phone(org: Org) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False):
        # per phone: three a day
        codes = [
            client.post(
                "/public/report/", _report(org, form_id=f"p{index}"), REMOTE_ADDR=f"10.0.0.{index}"
            ).status_code
            for index in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        # per IP: five an hour, whatever the phone
        codes = [
            client.post(
                "/public/report/",
                _report(org, form_id=f"i{index}", phone=f"1351234000{index}"),
                REMOTE_ADDR="10.1.1.1",
            ).status_code
            for index in range(REPORTS_PER_IP_PER_HOUR + 1)
        ]
        refused = client.post(
            "/public/report/", _report(org, form_id="z", phone="13500000000"), REMOTE_ADDR="10.1.1.1"
        )
    assert codes[-1] == 429
    assert "提交过于频繁" in refused.content.decode()
    assert ServiceRequest.objects.count() == 3 + REPORTS_PER_IP_PER_HOUR


@pytest.mark.django_db
def test_invalid_report_is_refused_with_field_errors(org: Org) -> None:
    response = Client().post("/public/report/", _report(org, phone="12", description=""))
    assert response.status_code == 422
    assert "请填写正确的手机号" in response.content.decode()
    assert ServiceRequest.objects.count() == 0


@pytest.mark.django_db
def test_the_address_picker_shows_addresses_only(org: Org) -> None:
    response = Client().get("/public/addresses/", {"address": org.community.name})
    body = response.content.decode()
    assert org.household.address in body
    assert org.household.account_number not in body
    assert org.household.phone not in body
    assert Client().get("/public/addresses/", {"address": "x"}).content.decode().strip() == ""


@pytest.mark.django_db
def test_the_address_picker_sorts_only_its_first_matches(org: Org) -> None:
    # given: more households of one building than the picker shows
    for room in range(301, 316):
        HouseholdFactory(building=org.building, room=str(room))

    # when
    with CaptureQueriesContext(connection) as queries:
        found = addresses_matching(q=f"{org.community.name} 3")

    # then: sorted by address, in one query whose inner pick of the first matches has no ORDER BY of its own
    # (an order there makes PostgreSQL walk a whole index and filter every household)
    assert len(found) == 10 and found == sorted(found)
    assert len(queries) == 1 and queries[0]["sql"].count("ORDER BY") == 1


@pytest.mark.django_db
def test_status_by_number_and_phone_tail(org: Org) -> None:
    # given: a request of the phone 13800000001
    with time_machine.travel(T0, tick=False):
        service_request = registered_request(org)
    client = Client()
    # when
    right = client.post("/public/status/", {"number": service_request.number, "phone_tail": "0001"})
    wrong = client.post("/public/status/", {"number": service_request.number, "phone_tail": "9999"})
    unknown = client.post("/public/status/", {"number": "RX2099010100001", "phone_tail": "0001"})
    # then: the right tail shows the progress; a wrong tail and an unknown number get the same answer
    assert right.status_code == 200
    body = right.content.decode()
    assert "已派单" in body and "登记" in body
    assert "李四" not in body and "13800000001" not in body
    assert wrong.status_code == unknown.status_code == 404
    message = "未找到该工单,请核对工单号和手机号后四位"
    assert message in wrong.content.decode() and message in unknown.content.decode()
    assert service_request.number not in re.sub(r'value="[^"]*"', "", wrong.content.decode())


@pytest.mark.django_db
def test_status_lookups_are_rate_limited(org: Org) -> None:
    client = Client()
    codes = [
        client.post("/public/status/", {"number": "RX1", "phone_tail": f"{index:04d}"}).status_code
        for index in range(21)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {404}


@pytest.mark.django_db
def test_the_callback_link_is_sent_once_and_answered_on_the_web(org: Org) -> None:
    # given: a reported request; the worker sends the link
    with time_machine.travel(T0, tick=False):
        service_request = reported_request(org)
        assert callback_invites_send(now=timezone.now()) == 1
        assert callback_invites_send(now=timezone.now()) == 0
        sms = Outbox.objects.get(topic="resident.sms", key=service_request.number)
        link = re.search(r"http\S+", sms.payload["text"])
        assert link is not None
        path = link.group().split("8000", 1)[1]
        client = Client()
        assert client.get(path).status_code == 200
        # when: the resident answers
        response = client.post(path, {"solved": "yes", "satisfaction": "satisfied", "comment": "师傅很耐心"})
        again = client.get(path)

    # then: a web callback recorded through the life cycle, the request closed; the link is spent
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.CLOSED
    callback = Callback.objects.get(service_request=service_request)
    assert callback.channel == CallbackChannel.WEB
    assert callback.by is not None and callback.by.username == "public-web"
    assert again.status_code == 404
    assert CallbackInvite.objects.count() == 1


@pytest.mark.django_db
def test_an_unsatisfied_web_answer_starts_a_new_round(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        service_request = reported_request(org)
        path = f"/public/callback/{callback_token(service_request)}/"
        response = Client().post(path, {"solved": "no", "satisfaction": "unsatisfied"})
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.DISPATCHED
    assert service_request.round == 2
    assert service_request.assignee == org.dept_head


@pytest.mark.django_db
def test_tampered_expired_or_incomplete_callback_answers_are_refused(org: Org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        service_request = reported_request(org)
        token = callback_token(service_request)
        client = Client()
        tampered = client.get(f"/public/callback/{token[:-2]}xx/")
        incomplete = client.post(f"/public/callback/{token}/", {"solved": "yes"})
        traveller.move_to(T0 + timedelta(days=8))
        expired = client.post(f"/public/callback/{token}/", {"solved": "yes", "satisfaction": "satisfied"})
    assert (tampered.status_code, incomplete.status_code, expired.status_code) == (404, 422, 404)
    service_request.refresh_from_db()
    assert service_request.status == Status.REPORTED
    assert not Callback.objects.exists()


@pytest.mark.django_db
def test_status_page_offers_the_callback_link_when_reported(org: Org) -> None:
    household = HouseholdFactory(building=org.building, phone="13700004321")
    with time_machine.travel(T0, tick=False):
        service_request = reported_request(org, household=household)
    response = Client().post("/public/status/", {"number": service_request.number, "phone_tail": "4321"})
    assert "/public/callback/" in response.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_rate_limit_is_one_count_for_every_process() -> None:
    """Each thread has its own database connection, as each gunicorn worker has: 60 look-ups from one address
    through 4 of them are answered 20 times in all, not 20 times a worker."""
    from heatline.integrations.public.services import LOOKUPS_PER_IP_PER_HOUR, lookup_allowed

    answered: list[bool] = []
    barrier = threading.Barrier(4)

    def counted(hit: Callable[[], bool]) -> bool:
        # The test database on SQLite is in memory with a shared cache, which locks a table instead of
        # waiting for it as the file database (WAL, busy timeout) does: try the hit again, as that would.
        for _ in range(10_000):
            try:
                return hit()
            except OperationalError as error:
                if "locked" not in str(error):
                    raise
        raise AssertionError("the counter stayed locked")

    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(15):
                answered.append(counted(lambda: lookup_allowed(ip="203.0.113.9")))
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(answered) == 60
    assert answered.count(True) == LOOKUPS_PER_IP_PER_HOUR
    assert RateCounter.objects.get(key="lookup-ip:203.0.113.9").count == 60


@pytest.mark.django_db
def test_the_rate_limit_opens_again_in_the_next_window_and_old_windows_are_dropped() -> None:
    from heatline.integrations.public.services import lookup_allowed, rate_counters_purge

    start = datetime(2027, 1, 20, 10, 0, 5, tzinfo=UTC)  # in a Spring Festival season's cold snap
    with time_machine.travel(start, tick=False):
        assert all(lookup_allowed(ip="198.51.100.7") for _ in range(20))
        assert not lookup_allowed(ip="198.51.100.7")
        assert lookup_allowed(ip="198.51.100.8")  # another address counts on its own
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert lookup_allowed(ip="198.51.100.7")
        assert rate_counters_purge(now=start + timedelta(hours=1)) == 2
        assert list(RateCounter.objects.values_list("key", "count")) == [("lookup-ip:198.51.100.7", 1)]
