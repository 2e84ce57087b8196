"""Personal-data retention (issue 18): callers' names and phones of requests closed before the date go,
every figure stays; the 12345 order's copy and the SMS sent go too; the worker does it once a day."""

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from heatline.core.models import AuditEvent, RuleSetting
from heatline.core.tests.import_files import csv_bytes
from heatline.integrations.models import Channel, ExchangeOrder, Outcome
from heatline.outbox.models import Outbox
from heatline.registry.tests.factories import Org
from heatline.requests.imports import requests_import
from heatline.requests.jobs import personal_data_retention
from heatline.requests.models import Callback, RequestEvent, ServiceRequest
from heatline.requests.retention import requests_anonymise
from heatline.requests.tests.factories import registered_request

TZ = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=TZ)
HEADER = [
    "来电时间",
    "户号",
    "来电人",
    "电话",
    "来源",
    "外部单号",
    "类别",
    "诉求内容",
    "原因",
    "办结时间",
    "回访结果",
]


def history(org: Org) -> None:
    rows = [
        HEADER,
        ["2023-12-03 08:15", org.household.account_number, "张先生", "13904561234", "12345", "GD-2023-1",
         "室温不达标", "暖气不热", "管道堵塞", "2023-12-04 16:00", "不满意"],
        ["2025-12-03 08:15", org.household.account_number, "李女士", "13904565678", "12345", "GD-2025-1",
         "室温不达标", "暖气不热", "管道堵塞", "2025-12-04 16:00", "满意"],
    ]  # fmt: skip
    with time_machine.travel(T0, tick=False):
        report = requests_import(content=csv_bytes(rows), file_name="h.csv", commit=True, by=None)
    assert report.committed


@pytest.mark.django_db
def test_anonymise_keeps_the_figures_and_is_done_once(org: Org) -> None:
    history(org)
    old = ServiceRequest.objects.get(external_id="GD-2023-1")
    ServiceRequest.objects.filter(pk=old.pk).update(
        content="张先生说暖气不热,回电13904561234或0456-8221234", result="已联系张先生"
    )
    Callback.objects.filter(service_request=old).update(comment="张先生说还是冷")
    ExchangeOrder.objects.create(
        source="12345", order_no="GD-2023-1", channel=Channel.PUSH, received_at=old.received_at,
        outcome=Outcome.CREATED, service_request=old, payload={"caller": "张先生", "phone": "13904561234"},
    )  # fmt: skip
    sms = Outbox.objects.create(
        topic="resident.sms", key=old.number, payload={"phone": "13904561234", "text": "您的诉求已办结"},
        created_at=old.closed_at, available_at=old.closed_at, delivered_at=old.closed_at,
    )  # fmt: skip
    before = dt.datetime(2024, 1, 1, tzinfo=TZ)
    out = StringIO()
    with time_machine.travel(T0, tick=False):
        call_command("anonymise", "--before", "2024-01-01", stdout=out)  # dry run
        assert "1 件" in out.getvalue() and ServiceRequest.objects.get(pk=old.pk).phone == "13904561234"
        call_command("anonymise", "--before", "2024-01-01", "--commit", stdout=out)
    old.refresh_from_db()
    assert (old.caller_name, old.phone) == ("", "")
    assert old.content == "***说暖气不热,回电***********或************" and old.result == "已联系***"
    # the figures stay: category, cause, times, satisfaction, household
    assert old.category is not None and old.cause is not None and old.satisfaction == "unsatisfied"
    assert old.household == org.household and old.closed_at is not None
    assert Callback.objects.get(service_request=old).comment == ""
    assert Callback.objects.get(service_request=old).satisfaction == "unsatisfied"
    assert ExchangeOrder.objects.get(service_request=old).payload == {"anonymised": True}
    sms.refresh_from_db()
    assert "phone" not in sms.payload and "text" not in sms.payload and sms.topic == "resident.sms"
    assert RequestEvent.objects.filter(service_request=old, extra__anonymised=True).count() == 1
    # the later request is within the period: untouched; a rerun finds nothing more
    assert ServiceRequest.objects.get(external_id="GD-2025-1").phone == "13904565678"
    with time_machine.travel(T0, tick=False):
        assert requests_anonymise(before=before) == 0
    assert RequestEvent.objects.filter(service_request=old, extra__anonymised=True).count() == 1


@pytest.mark.django_db
def test_open_requests_are_never_anonymised(org: Org) -> None:
    with time_machine.travel(T0 - dt.timedelta(days=2000), tick=False):
        live = registered_request(org)
    with time_machine.travel(T0, tick=False):
        assert requests_anonymise(before=T0) == 0
    live.refresh_from_db()
    assert live.phone


@pytest.mark.django_db
def test_the_worker_runs_it_once_a_day_with_the_admin_s_period(org: Org) -> None:
    history(org)
    RuleSetting.objects.update_or_create(key="personal_data_retention_days", defaults={"value": 700})
    from heatline.core.caches import ProcessCache

    ProcessCache.forget_all()
    with time_machine.travel(T0, tick=False):
        assert personal_data_retention(dt.datetime.now(tz=TZ)) == 1  # the 2023 request (older than 700 days)
        assert personal_data_retention(dt.datetime.now(tz=TZ)) == 0  # once a day
    assert ServiceRequest.objects.get(external_id="GD-2025-1").phone  # within the 700 days
    assert AuditEvent.objects.filter(action="retention_run").count() == 1
    with time_machine.travel(T0 + dt.timedelta(days=400), tick=False):
        assert personal_data_retention(dt.datetime.now(tz=TZ)) == 1  # its 700 days have passed
    assert ServiceRequest.objects.get(external_id="GD-2025-1").phone == ""


def test_a_date_in_the_future_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("anonymise", "--before", "2999-01-01", stdout=StringIO())
