"""Pages of live data: the open alerts (cold rooms, low station supply, dead sensors) and the one-click
incident from a station alert."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import DomainError, NotVisible
from heatline.registry.models import SYSTEM_ROLES, Staff
from heatline.telemetry.models import AlertKind
from heatline.telemetry.selectors import alert_get_visible, alerts_visible, sensor_counts
from heatline.telemetry.services import incident_from_alert, may_open_station_incident

PAGE = 200


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    if user.role in SYSTEM_ROLES and not user.is_superuser:
        raise Http404
    return user


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    kind = request.GET.get("kind", "")
    if kind not in AlertKind.values:
        kind = ""
    state = request.GET.get("state", "open")
    if state not in ("open", "closed", "all"):
        state = "open"
    rows = list(alerts_visible(viewer=viewer, kind=kind or None, state=state)[:PAGE])
    for alert in rows:
        alert.may_incident = (  # type: ignore[attr-defined]
            alert.kind == AlertKind.STATION_SUPPLY_LOW
            and alert.ended_at is None
            and alert.incident_id is None
            and may_open_station_incident(viewer, alert)
        )
    return render(
        request,
        "telemetry/alerts.html",
        {
            "alerts": rows,
            "kind": kind,
            "state": state,
            "kinds": AlertKind.choices,
            "counts": sensor_counts(viewer=viewer),
            "page_limit": PAGE,
        },
    )


@login_required
@require_POST
def alert_incident(request: HttpRequest, pk: int) -> HttpResponseBase:
    viewer = _staff(request)
    try:
        alert = alert_get_visible(viewer=viewer, pk=pk)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None
    try:
        incident = incident_from_alert(alert=alert, by=viewer)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(request.META.get("HTTP_REFERER") or "telemetry:alerts")
    messages.success(request, _("已建立事件 %(n)s") % {"n": incident.number})
    return redirect("incidents:detail", incident.pk)
