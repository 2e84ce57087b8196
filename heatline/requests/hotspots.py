"""热点预警 (issue 20): clusters and sensitive requests found within seconds, for the responsible head.

Rules (规则参数): ≥ `hotspot_requests` requests from one unit, building or station within `hotspot_hours`;
a caller's `hotspot_caller_requests`-th request of the season; a request with a word of 热点敏感词. A hit
opens one alert (more requests join the open one), notifies the district's responsible person, and climbs
to the department head and then the branch manager every `hotspot_escalate_minutes` while nobody
acknowledges it. The worker runs `hotspots_detect` every round: a few grouped queries over the window.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.errors import TransitionNotAllowed
from heatline.core.rules import rule_int
from heatline.core.seasons import season_bounds, season_current
from heatline.outbox.services import notification_message, outbox_enqueue_many
from heatline.registry.models import Staff
from heatline.registry.scoping import scope_by_district
from heatline.requests.models import (
    HotspotAlert,
    HotspotKind,
    HotspotLevel,
    HotspotWord,
    ServiceRequest,
    Status,
)
from heatline.requests.routing import fallback_department_head

CLUSTERS = (
    (HotspotKind.UNIT, "household__unit_id", _("同一单元")),
    (HotspotKind.BUILDING, "building_id", _("同一楼栋")),
    (HotspotKind.STATION, "building__station_id", _("同一换热站")),
)


def _recent(now: dt.datetime) -> QuerySet[ServiceRequest]:
    since = now - dt.timedelta(hours=rule_int("hotspot_hours"))
    return ServiceRequest.objects.filter(
        received_at__gte=since, received_at__lte=now, is_imported=False
    ).exclude(status=Status.RETURNED)


def _raise(*, kind: str, key: str, title: str, request_ids: Iterable[int], now: dt.datetime) -> int:
    """Open the alert of (kind, key), or add requests to the open one. Returns what was new (alert + links)."""
    ids = set(request_ids)
    latest = (
        ServiceRequest.objects.filter(pk__in=ids).select_related("district").order_by("-received_at").first()
    )
    if latest is None:
        return 0
    alert = HotspotAlert.objects.filter(kind=kind, key=key, acknowledged_at=None).first()
    new = 0
    if alert is None:
        district = latest.district
        try:
            with transaction.atomic():
                alert = HotspotAlert.objects.create(
                    kind=kind,
                    key=key,
                    title=title[:200],
                    district=district,
                    building_id=latest.building_id,
                    opened_at=now,
                    last_request_at=latest.received_at,
                    responsible=district.responsible if district else fallback_department_head(),
                )
        except IntegrityError:  # another worker opened it a moment ago
            alert = HotspotAlert.objects.get(kind=kind, key=key, acknowledged_at=None)
        else:
            new += 1
            _notify(alert, title=_("热点预警:%(title)s") % {"title": alert.title})
    known = set(alert.requests.values_list("id", flat=True))
    added = ids - known
    if added:
        alert.requests.add(*added)
        HotspotAlert.objects.filter(pk=alert.pk).update(
            last_request_at=max(alert.last_request_at, latest.received_at)
        )
    return new + len(added)


def _notify(alert: HotspotAlert, *, title: str) -> None:
    """The responsible head's notification, and the live screens' event (the dashboards reload their list)."""
    messages = [
        {
            "topic": "live.hotspot",
            "key": str(alert.pk),
            "payload": {"alert": alert.pk, "rule": alert.kind, "district_id": alert.district_id},
            "dedupe_key": None,
        }
    ]
    if alert.responsible_id is not None:
        messages.append(
            notification_message(
                recipient_id=alert.responsible_id,
                title=title,
                body=_("%(n)s 件相关工单,请确认并处置") % {"n": alert.requests.count() or 1},
                link=f"/#hotspot-{alert.pk}",
                dedupe_key=f"hotspot:{alert.pk}:{alert.level}",
            )
        )
    outbox_enqueue_many(messages=messages)


def hotspots_detect(*, now: dt.datetime) -> int:
    """Evaluate every rule over the window ending `now`; returns new alerts plus requests newly linked."""
    threshold = rule_int("hotspot_requests")
    recent = _recent(now)
    found = 0
    for kind, field, label in CLUSTERS:
        groups = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(n=Count("id"))
            .filter(n__gte=threshold)
            .order_by()
        )
        for group in groups:
            key = group[field]
            ids = recent.filter(**{field: key}).values_list("id", flat=True)
            title = _("%(where)s %(hours)s 小时内 %(n)s 件来电") % {
                "where": label,
                "hours": rule_int("hotspot_hours"),
                "n": group["n"],
            }
            found += _raise(kind=kind, key=str(key), title=title, request_ids=ids, now=now)
    found += _repeat_callers(recent, now=now)
    words = list(HotspotWord.objects.filter(is_active=True).values_list("word", flat=True))
    if words:
        condition = Q()
        for word in words:
            condition |= Q(content__contains=word)
        for pk, number, content in recent.filter(condition).values_list("id", "number", "content"):
            hits = "、".join(word for word in words if word in content)
            found += _raise(
                kind=HotspotKind.WORDS, key=number, title=_("工单含敏感词:%(words)s") % {"words": hits},
                request_ids=[pk], now=now,
            )  # fmt: skip
    return found


def _repeat_callers(recent: QuerySet[ServiceRequest], *, now: dt.datetime) -> int:
    season = season_current(today=timezone.localdate(now))
    if season is None:
        return 0
    start, _end = season_bounds(season)
    limit = rule_int("hotspot_caller_requests")
    phones = set(recent.exclude(phone="").values_list("phone", flat=True))
    if not phones:
        return 0
    counted = (
        ServiceRequest.objects.filter(
            phone__in=phones, received_at__gte=start, received_at__lte=now, is_imported=False
        )
        .values("phone")
        .annotate(n=Count("id"), last=Max("received_at"))
        .filter(n__gte=limit)
        .order_by()
    )
    found = 0
    for row in counted:
        ids = ServiceRequest.objects.filter(phone=row["phone"], received_at__gte=start, received_at__lte=now)
        title = _("同一来电人本采暖期第 %(n)s 次来电") % {"n": row["n"]}
        found += _raise(
            kind=HotspotKind.REPEAT_CALLER, key=row["phone"], title=title,
            request_ids=ids.values_list("id", flat=True), now=now,
        )  # fmt: skip
    return found


def hotspots_escalate(*, now: dt.datetime) -> int:
    """Alerts nobody acknowledged within the interval climb one level: department head, then branch manager."""
    interval = dt.timedelta(minutes=rule_int("hotspot_escalate_minutes"))
    due = HotspotAlert.objects.filter(acknowledged_at=None).exclude(level=HotspotLevel.BRANCH)
    due = due.filter(
        Q(escalated_at__lte=now - interval) | Q(escalated_at=None, opened_at__lte=now - interval)
    )
    moved = 0
    for alert in due.select_related("district__branch")[:100]:
        if alert.level == HotspotLevel.DISTRICT:
            level, person = HotspotLevel.DEPARTMENT, fallback_department_head()
        else:
            branch = alert.district.branch if alert.district else None
            level, person = HotspotLevel.BRANCH, (branch.manager if branch else None)
        updated = HotspotAlert.objects.filter(pk=alert.pk, level=alert.level, acknowledged_at=None).update(
            level=level, responsible=person or alert.responsible, escalated_at=now
        )
        if updated:
            alert.refresh_from_db()
            _notify(alert, title=_("热点预警升级:%(title)s(%(minutes)s 分钟未确认)") % {
                "title": alert.title, "minutes": rule_int("hotspot_escalate_minutes")
            })  # fmt: skip
            moved += 1
    return moved


def hotspot_acknowledge(*, alert: HotspotAlert, by: Staff) -> HotspotAlert:
    """The head has seen it: it stops climbing (compare-and-swap; twice is refused)."""
    updated = HotspotAlert.objects.filter(pk=alert.pk, acknowledged_at=None).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    if updated != 1:
        raise TransitionNotAllowed(_("该热点预警已确认"))
    alert.refresh_from_db()
    return alert


def hotspots_visible(*, viewer: Staff, since: dt.datetime | None = None) -> QuerySet[HotspotAlert]:
    alerts = scope_by_district(HotspotAlert.objects.all(), viewer, allow_null=True)
    if since is not None:
        alerts = alerts.filter(Q(opened_at__gte=since) | Q(last_request_at__gte=since))
    return alerts.select_related("district", "responsible").prefetch_related("requests")
