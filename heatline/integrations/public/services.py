"""The residents' page (no login): report, status by number + phone tail, web callback (第八条, 第十条).

Floods are held back with counters in the database, shared by every process (per address and per phone),
and a honeypot field; a double submit is idempotent through the form's one-time id (the request's external id).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import InvalidInput
from heatline.integrations.models import CallbackInvite, RateCounter
from heatline.integrations.services import public_staff
from heatline.outbox.services import outbox_enqueue
from heatline.requests.models import (
    Action,
    CallbackChannel,
    CallbackOutcome,
    Satisfaction,
    ServiceRequest,
    Source,
    Status,
)
from heatline.requests.services import Intake, request_register
from heatline.requests.transitions import Params, request_transition

REPORTS_PER_IP_PER_HOUR = 5
REPORTS_PER_PHONE_PER_DAY = 3
LOOKUPS_PER_IP_PER_HOUR = 20
CALLBACK_SALT = "heatline.public.callback"
CALLBACK_MAX_AGE = timedelta(days=7)


class PublicRefused(Exception):
    """Shown to the resident as is; nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def limit_reached(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one more hit in a fixed window; True once the count passes `limit`.

    The count lives in the database (one row a key and window, one atomic INSERT … ON CONFLICT DO UPDATE …
    RETURNING on SQLite and PostgreSQL alike), so every web process sees the same number.
    """
    now = int(timezone.now().timestamp())
    start = now - now % window_seconds
    table, key_column, start_column, end_column, count_column = (
        connection.ops.quote_name(name)
        for name in (RateCounter._meta.db_table, "key", "window_start", "window_end", "count")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {start_column}, {end_column}, {count_column}) "
            f"VALUES (%s, %s, %s, 1) ON CONFLICT ({key_column}, {start_column}) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 RETURNING {count_column}",
            [key[:120], start, start + window_seconds],
        )
        (count,) = cursor.fetchone()
    return int(count) > limit


def rate_counters_purge(*, now: datetime) -> int:
    """Drop the counts of windows that have ended (each worker round: one delete on the indexed window end)."""
    deleted, _kinds = RateCounter.objects.filter(window_end__lt=int(now.timestamp())).delete()
    return deleted


@dataclass(frozen=True)
class Report:
    address: str
    phone: str
    description: str
    category: str | None
    form_id: str
    honeypot: str = ""


def public_report(*, report: Report, ip: str) -> ServiceRequest:
    """A resident's own report: registered and dispatched like a call (source 居民自助页面)."""
    if report.honeypot.strip():
        raise PublicRefused(_("提交失败,请稍后再试或拨打963000"))
    if limit_reached(key=f"report-ip:{ip}", limit=REPORTS_PER_IP_PER_HOUR, window_seconds=3600):
        raise PublicRefused(_("提交过于频繁,请一小时后再试,紧急情况请拨打963000"))
    phone = report.phone.strip()
    if limit_reached(key=f"report-phone:{phone}", limit=REPORTS_PER_PHONE_PER_DAY, window_seconds=86400):
        raise PublicRefused(_("该号码今日提交次数已达上限,请拨打963000"))
    service_request, created = request_register(
        intake=Intake(
            source=Source.PUBLIC,
            external_id=f"web:{report.form_id}" if report.form_id else None,
            phone=phone,
            content=report.description,
            address=report.address,
            category=report.category or None,
        ),
        by=public_staff(),
    )
    if created:
        outbox_enqueue(
            topic="resident.sms",
            key=service_request.number,
            payload={
                "phone": service_request.phone,
                "text": _("您的诉求已受理,工单号%(number)s,可凭手机号后四位在供热公司网页查询进度。")
                % {"number": service_request.number},
            },
        )
    return service_request


def lookup_allowed(*, ip: str) -> bool:
    return not limit_reached(key=f"lookup-ip:{ip}", limit=LOOKUPS_PER_IP_PER_HOUR, window_seconds=3600)


def public_status(*, number: str, phone_tail: str) -> ServiceRequest | None:
    """The request when the number and the phone's last four digits agree; None otherwise (one answer)."""
    number = number.strip().upper()
    tail = phone_tail.strip()
    if len(tail) != 4 or not tail.isdigit() or not number or len(number) > 20:
        return None
    service_request = ServiceRequest.objects.select_related("category").filter(number=number).first()
    if service_request is None or not service_request.phone.endswith(tail):
        return None
    return service_request


def callback_token(service_request: ServiceRequest) -> str:
    return signing.dumps({"n": service_request.number, "r": service_request.round}, salt=CALLBACK_SALT)


def callback_link(service_request: ServiceRequest) -> str:
    path = reverse("integrations:public-callback", kwargs={"token": callback_token(service_request)})
    base: str = settings.HEATLINE_PUBLIC_BASE_URL
    return base.rstrip("/") + path


def callback_request(token: str) -> ServiceRequest | None:
    """The request a callback link is for, while it still waits for this round's callback."""
    try:
        data = signing.loads(token, salt=CALLBACK_SALT, max_age=CALLBACK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    service_request = ServiceRequest.objects.filter(number=data.get("n")).first()
    if service_request is None or service_request.round != data.get("r"):
        return None
    if service_request.status != Status.REPORTED:
        return None
    return service_request


def public_callback_answer(
    *, token: str, solved: bool, satisfaction: str, comment: str = ""
) -> ServiceRequest:
    """第八条 by web: records a Callback (channel web) through the one transition function."""
    service_request = callback_request(token)
    if service_request is None:
        raise PublicRefused(_("链接已失效或该回访已完成"))
    if satisfaction not in Satisfaction.values:
        raise InvalidInput(_("请选择满意度"), field="satisfaction")
    return request_transition(
        service_request=service_request,
        action=Action.CALLBACK,
        by=public_staff(),
        params=Params(
            outcome=CallbackOutcome.ANSWERED,
            channel=CallbackChannel.WEB,
            solved=solved,
            satisfaction=satisfaction,
            comment=comment.strip()[:500],
        ),
    )


def callback_invites_send(*, now: datetime, batch: int = 100) -> int:
    """Worker step: each reported request waiting for its callback gets the web link once per round."""
    already = CallbackInvite.objects.filter(service_request=OuterRef("pk"), round=OuterRef("round"))
    waiting = list(
        ServiceRequest.objects.filter(status=Status.REPORTED, wants_callback=True)
        .exclude(Exists(already))
        .order_by("reported_at")[:batch]
    )
    for service_request in waiting:
        with transaction.atomic():
            _invite, created = CallbackInvite.objects.get_or_create(
                service_request=service_request, round=service_request.round, defaults={"sent_at": now}
            )
            if not created:
                continue
            outbox_enqueue(
                topic="resident.sms",
                key=service_request.number,
                payload={
                    "phone": service_request.phone,
                    "text": _(
                        "您的诉求%(number)s已办理,请回复1满意 2基本满意 3不满意,或点击链接评价 %(link)s"
                    )
                    % {"number": service_request.number, "link": callback_link(service_request)},
                },
            )
    return len(waiting)
