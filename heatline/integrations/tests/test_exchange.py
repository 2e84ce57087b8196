import hashlib
import hmac
import io
import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from heatline.integrations.exchange.services import exchange_import, nonces_purge
from heatline.integrations.models import ExchangeOrder, Outcome, PlatformLimit, PushNonce
from heatline.outbox.models import Outbox
from heatline.outbox.services import MAX_ATTEMPTS, outbox_deliver
from heatline.registry.tests.factories import Org
from heatline.requests.models import Action, RequestEvent, ServiceRequest, Status
from heatline.requests.tests.factories import advance, registered_request
from heatline.requests.transitions import Params

from .conftest import Platform
from .helpers import fixture_bytes, fixture_json, push

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _stored() -> tuple[int, int, int, int]:
    return (
        ServiceRequest.objects.count(),
        ExchangeOrder.objects.count(),
        PushNonce.objects.count(),
        Outbox.objects.count(),
    )


@pytest.mark.django_db
def test_signed_push_registers_the_order_once_with_its_platform_number(org: Org) -> None:
    # given: the platform's recorded push
    body = fixture_bytes("push_12345.json")
    client = Client()
    with time_machine.travel(T0, tick=False):
        # when: it arrives, then arrives again (the platform retried with a new nonce)
        first = push(client, body)
        second = push(client, body)

    # then: one request carrying the platform's order number, two log rows
    assert first.status_code == 201, first.content
    assert second.status_code == 200
    assert second.json()["outcome"] == Outcome.DUPLICATE
    service_request = ServiceRequest.objects.get()
    assert service_request.source == "12345"
    assert service_request.external_id == "GD202611280001"
    assert first.json()["number"] == second.json()["number"] == service_request.number
    assert service_request.platform_due_at == datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert service_request.created_by is not None
    assert service_request.created_by.username == "exchange-12345"
    assert list(ExchangeOrder.objects.values_list("outcome", flat=True).order_by("id")) == [
        Outcome.CREATED,
        Outcome.DUPLICATE,
    ]
    # the step "accepted" is queued for the platform in the same transaction
    assert Outbox.objects.filter(topic="request.moved", key=service_request.number).exists()


@pytest.mark.django_db
def test_the_platform_limit_applies_where_it_is_stricter(org: Org) -> None:
    # given: 12345's own limit of 24 hours, stricter than the 72 hours the order states
    PlatformLimit.objects.create(source="12345", hours=Decimal(24))
    with time_machine.travel(T0, tick=False):
        # when
        response = push(Client(), fixture_bytes("push_12345.json"))

    # then: the request's platform due time is 24 h after the platform received it
    assert response.status_code == 201
    service_request = ServiceRequest.objects.get()
    received = datetime(2026, 11, 28, 8, 55, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert service_request.platform_due_at == received + timedelta(hours=24)


@pytest.mark.django_db
def test_xml_push_is_accepted(org: Org) -> None:
    with time_machine.travel(T0, tick=False):
        response = push(Client(), fixture_bytes("push_12345.xml"), content_type="application/xml")
    assert response.status_code == 201, response.content
    assert ServiceRequest.objects.get().external_id == "GD202611280002"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong_secret", 401),
        ("stale", 401),
        ("unsigned", 401),
        ("entity_bomb", 400),
        ("utf16_entity_bomb", 400),
        ("broken_xml", 400),
        ("malformed_json", 400),
        ("missing_field", 400),
        ("not_an_object", 400),
        ("wrong_type", 400),
        ("nul_character", 400),
        ("unknown_source", 400),
        ("oversized", 413),
        ("text_plain", 415),
        ("no_address", 422),
    ],
)
def test_bad_pushes_are_refused_and_nothing_is_stored(org: Org, case: str, expected: int) -> None:
    # given
    client = Client()
    good = fixture_bytes("push_12345.json")
    order = fixture_json("push_12345.json")
    before = _stored()
    with time_machine.travel(T0, tick=False):
        # when
        if case == "wrong_secret":
            response = push(client, good, secret="not-the-secret")
        elif case == "stale":
            response = push(client, good, timestamp=int(T0.timestamp()) - 301)
        elif case == "unsigned":
            response = client.post("/exchange/v1/orders", data=good, content_type="application/json")
        elif case == "entity_bomb":
            response = push(client, fixture_bytes("entity_bomb.xml"), content_type="application/xml")
        elif case == "utf16_entity_bomb":
            body = fixture_bytes("entity_bomb.xml").decode().replace('<?xml version="1.0"?>', "")
            response = push(client, body.encode("utf-16"), content_type="application/xml")
        elif case == "broken_xml":
            response = push(client, b"<order><order_no>1</order", content_type="text/xml")
        elif case == "malformed_json":
            response = push(client, b'{"order_no": "X1", ', content_type="application/json")
        elif case == "missing_field":
            del order["phone"]
            response = push(client, json.dumps(order).encode())
        elif case == "not_an_object":
            response = push(client, b"[1, 2, 3]")
        elif case == "wrong_type":
            order["content"] = {"nested": True}
            response = push(client, json.dumps(order).encode())
        elif case == "nul_character":
            order["content"] = "暖气\u0000不热"
            response = push(client, json.dumps(order).encode())
        elif case == "unknown_source":
            order["source"] = "110"
            response = push(client, json.dumps(order).encode())
        elif case == "oversized":
            order["content"] = "暖" * 40000
            response = push(client, json.dumps(order, ensure_ascii=False).encode())
        elif case == "text_plain":
            response = push(client, good, content_type="text/plain")
        else:
            order["address"] = ""
            response = push(client, json.dumps(order).encode())

    # then: a clear refusal, no 500, nothing stored, no detail of the secret or the file system
    assert response.status_code == expected, response.content
    assert response.json()["accepted"] is False
    assert "root:" not in response.content.decode()
    assert _stored() == before


@pytest.mark.django_db
def test_a_replayed_push_is_refused(org: Org) -> None:
    # given: a push accepted once
    client = Client()
    body = fixture_bytes("push_12345.json")
    with time_machine.travel(T0, tick=False):
        assert push(client, body, nonce="n-1").status_code == 201
        before = _stored()
        # when: the same signed message is sent again (same nonce and timestamp)
        replay = push(client, body, nonce="n-1")

    # then
    assert replay.status_code == 409
    assert replay.json()["code"] == "replayed"
    assert _stored() == before


@pytest.mark.django_db
def test_old_nonces_are_purged_after_the_window(org: Org) -> None:
    with time_machine.travel(T0, tick=False) as traveller:
        push(Client(), fixture_bytes("push_12345.json"))
        traveller.move_to(T0 + timedelta(minutes=11))
        assert nonces_purge(now=timezone.now()) == 1
    assert PushNonce.objects.count() == 0


@pytest.mark.django_db
def test_a_12319_order_that_is_not_about_heating_is_returned_with_a_reason(org: Org) -> None:
    # given
    with time_machine.travel(T0, tick=False):
        # when
        response = push(Client(), fixture_bytes("push_12319_not_heating.json"))

    # then: registered (its number on record) and returned, approved by the exchange's system approver
    assert response.status_code == 201
    assert response.json()["outcome"] == Outcome.RETURNED
    service_request = ServiceRequest.objects.get()
    assert service_request.status == Status.RETURNED
    event = RequestEvent.objects.get(service_request=service_request, action=Action.RETURN)
    assert event.actor is not None
    assert event.actor.username == "exchange-approver"
    assert event.extra["rule"] == "12319_not_heating"
    assert "非供热业务" in event.note
    moved = Outbox.objects.filter(topic="request.moved", payload__action="return").get()
    assert moved.payload["external_id"] == "CJ202611280042"


@pytest.mark.django_db
def test_file_import_registers_new_orders_and_reports_bad_rows(org: Org) -> None:
    # given: the recorded CSV (a duplicate row, a non-heating 12319 row, a row without a phone)
    content = fixture_bytes("import_orders.csv")
    with time_machine.travel(T0, tick=False):
        # when
        result = exchange_import(name="orders.csv", content=content, by=org.operator)

    # then
    assert (result.created, result.duplicate, result.returned) == (1, 1, 1)
    assert len(result.errors) == 1
    assert "第5行" in result.errors[0]
    assert ServiceRequest.objects.count() == 2


@pytest.mark.django_db
def test_xlsx_import_and_a_second_import_changes_nothing(org: Org) -> None:
    # given: a workbook with one order
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["order_no", "source", "received_at", "phone", "address", "content"])
    # Spreadsheets hold naive local times; the importer reads them as Asia/Shanghai.
    naive = datetime(2026, 11, 28, 8, 30)  # noqa: DTZ001
    sheet.append(["GD9", "12345", naive, "13800001111", "解放路1号", "暖气不热"])
    buffer = io.BytesIO()
    book.save(buffer)
    with time_machine.travel(T0, tick=False):
        # when: imported twice
        first = exchange_import(name="orders.xlsx", content=buffer.getvalue(), by=org.operator)
        second = exchange_import(name="orders.xlsx", content=buffer.getvalue(), by=org.operator)

    # then
    assert (first.created, second.created, second.duplicate) == (1, 0, 1)
    assert ServiceRequest.objects.get().external_id == "GD9"


@pytest.mark.django_db
def test_steps_are_delivered_signed_to_the_platform_and_other_sources_go_nowhere(
    org: Org, platform: Platform, settings: object
) -> None:
    # given: a 12345 order dispatched, and a hotline request
    settings.HEATLINE_EXCHANGE_WEBHOOK_URL = platform.url  # type: ignore[attr-defined]
    with time_machine.travel(T0, tick=False):
        push(Client(), fixture_bytes("push_12345.json"))
        registered_request(org)
        # when: the worker delivers
        outbox_deliver(now=timezone.now(), batch=1000)

    # then: only the 12345 request's steps went out, each signed with the shared secret
    assert {json.loads(hit["body"])["source"] for hit in platform.received} == {"12345"}
    steps = [json.loads(hit["body"])["step"] for hit in platform.received]
    assert steps[:1] == ["accepted"]
    for hit in platform.received:
        headers = {key.lower(): value for key, value in hit["headers"].items()}
        message = (
            headers["x-heatline-timestamp"].encode()
            + b"\n"
            + headers["x-heatline-nonce"].encode()
            + b"\n"
            + hit["body"]
        )
        expected = hmac.new(b"heatline-exchange-demo-secret", message, hashlib.sha256).hexdigest()
        assert headers["x-heatline-signature"] == expected
        assert json.loads(hit["body"])["order_no"] == "GD202611280001"
    assert not Outbox.objects.filter(delivered_at=None, topic="request.moved").exists()


@pytest.mark.django_db
def test_a_platform_down_for_an_hour_loses_nothing(org: Org, platform: Platform, settings: object) -> None:
    # given: the platform answers 503 for an hour
    settings.HEATLINE_EXCHANGE_WEBHOOK_URL = platform.url  # type: ignore[attr-defined]
    platform.status = 503
    with time_machine.travel(T0, tick=False) as traveller:
        push(Client(), fixture_bytes("push_12345.json"))
        service_request = ServiceRequest.objects.get()
        advance(service_request, (Action.DISPATCH, org.operator, Params(district_id=org.district.pk)))
        for minute in range(0, 61):
            traveller.move_to(T0 + timedelta(minutes=minute))
            outbox_deliver(now=timezone.now())
        pending = Outbox.objects.filter(topic="request.moved", delivered_at=None)
        assert pending.count() >= 2
        assert not pending.filter(failed_at__isnull=False).exists()
        # when: it comes back
        platform.status = 200
        for minute in range(61, 120):
            traveller.move_to(T0 + timedelta(minutes=minute))
            outbox_deliver(now=timezone.now())

    # then: every step reached it, in order
    assert not Outbox.objects.filter(topic="request.moved", delivered_at=None).exists()
    delivered = [json.loads(hit["body"])["step"] for hit in platform.received if b'"step"' in hit["body"]]
    assert "accepted" in delivered


@pytest.mark.django_db
def test_a_message_given_up_shows_on_the_page_and_can_be_resent(
    org: Org, platform: Platform, settings: object, client: Client, django_assert_max_num_queries: object
) -> None:
    # given: the platform rejected a message until the outbox gave up
    settings.HEATLINE_EXCHANGE_WEBHOOK_URL = platform.url  # type: ignore[attr-defined]
    platform.status = 500
    with time_machine.travel(T0, tick=False) as traveller:
        push(Client(), fixture_bytes("push_12345.json"))
        for hour in range(MAX_ATTEMPTS * 2):
            traveller.move_to(T0 + timedelta(hours=hour))
            outbox_deliver(now=timezone.now())
    failed = Outbox.objects.filter(topic="request.moved", failed_at__isnull=False)
    assert failed.exists()

    # when: the operator opens the page and re-sends
    client.force_login(org.operator)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = client.get("/integrations/")
    assert page.status_code == 200
    assert "GD202611280001" in page.content.decode()
    assert "重新发送" in page.content.decode()
    message = failed.first()
    assert message is not None
    platform.status = 200
    response = client.post(f"/integrations/deliveries/{message.pk}/resend")
    outbox_deliver(now=timezone.now() + timedelta(seconds=1))

    # then
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.delivered_at is not None


@pytest.mark.django_db
def test_a_4xx_answer_is_given_up_at_once(org: Org, platform: Platform, settings: object) -> None:
    settings.HEATLINE_EXCHANGE_WEBHOOK_URL = platform.url  # type: ignore[attr-defined]
    platform.status = 400
    with time_machine.travel(T0, tick=False):
        push(Client(), fixture_bytes("push_12345.json"))
        outbox_deliver(now=timezone.now())
    message = Outbox.objects.filter(topic="request.moved").first()
    assert message is not None
    assert message.failed_at is not None
    assert message.attempts == 1


@pytest.mark.django_db
def test_the_page_is_for_staff_and_resending_for_operating_roles(org: Org, client: Client) -> None:
    # anonymous → login
    assert client.get("/integrations/").status_code == 302
    # a field worker sees the page but may not re-send or import
    client.force_login(org.worker)
    assert client.get("/integrations/").status_code == 200
    message = Outbox.objects.create(
        topic="request.moved",
        key="RX1",
        payload={"source": "12345"},
        created_at=timezone.now(),
        available_at=timezone.now(),
        failed_at=timezone.now(),
    )
    assert client.post(f"/integrations/deliveries/{message.pk}/resend").status_code == 403
    assert client.post("/integrations/import").status_code == 403


@pytest.mark.django_db
def test_import_through_the_page(org: Org, client: Client) -> None:
    client.force_login(org.operator)
    upload = io.BytesIO(fixture_bytes("import_orders.csv"))
    upload.name = "orders.csv"
    with time_machine.travel(T0, tick=False):
        response = client.post("/integrations/import", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "新受理1件" in response.content.decode()
    bad = io.BytesIO(b"\x00\x01")
    bad.name = "orders.exe"
    response = client.post("/integrations/import", {"file": bad}, follow=True)
    assert "仅支持" in response.content.decode()


@pytest.mark.django_db
def test_unsatisfied_callback_of_a_platform_order_is_delivered_as_a_callback_step(
    org: Org, platform: Platform, settings: object
) -> None:
    settings.HEATLINE_EXCHANGE_WEBHOOK_URL = platform.url  # type: ignore[attr-defined]
    with time_machine.travel(T0, tick=False):
        push(Client(), fixture_bytes("push_12345.json"))
        service_request = ServiceRequest.objects.get()
        service_request = advance(
            service_request,
            (Action.DISPATCH, org.operator, Params(district_id=org.district.pk)),
            (Action.CONTACT, org.responsible, None),
            (Action.ARRIVE, org.worker, None),
            (Action.COMPLETE, org.worker, Params(cause="radiator_air", result="放气后室温21度")),
            (Action.REPORT, org.worker, None),
            (Action.CALLBACK, org.operator, Params(solved=True, satisfaction="satisfied")),
        )
        outbox_deliver(now=timezone.now(), batch=1000)
    steps = [json.loads(hit["body"]) for hit in platform.received]
    assert [step["step"] for step in steps if step["step"] in ("result", "callback")] == [
        "result",
        "callback",
    ]
    assert steps[-1]["satisfaction"] == "satisfied"


@pytest.mark.django_db
def test_heatline_clocks_start_when_it_signs_for_the_order(org: Org) -> None:
    # given: an order the platform received an hour before forwarding it
    order = fixture_json("push_12345.json")
    order["received_at"] = "2026-11-28T08:00:00+08:00"
    with time_machine.travel(T0, tick=False):
        # when
        response = push(Client(), json.dumps(order).encode())
    # then: not a late registration here; the platform's receipt still sets its own due time
    assert response.status_code == 201
    service_request = ServiceRequest.objects.get()
    assert service_request.received_at == T0
    assert service_request.is_late_intake is False
