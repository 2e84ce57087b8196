"""/integrations/calls/: missed calls to call back (click-to-call), today's answer figures, recent calls;
and the caller pop-up that the live feed opens in the agent's browser when the phone rings."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import DomainError
from heatline.integrations.cti.selectors import call_figures, dial_url, missed_calls_open
from heatline.integrations.cti.services import call_called_back
from heatline.integrations.models import Call, CallStatus
from heatline.registry.models import Role, Staff
from heatline.registry.scoping import mask_phone, sees_personal_data
from heatline.requests.selectors import caller_lookup

READERS = frozenset({Role.OPERATOR, Role.DEPT_HEAD, Role.MANAGER, Role.ADMIN})
CALLERS_BACK = frozenset({Role.OPERATOR, Role.ADMIN})


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    assert isinstance(user, Staff)
    if not (user.is_superuser or user.role in READERS):
        raise PermissionDenied
    return user


@login_required
def calls(request: HttpRequest) -> HttpResponse:
    staff = _staff(request)
    personal = sees_personal_data(staff)
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    figures, per_hour = call_figures(start=start, end=start + dt.timedelta(days=1))
    missed = list(missed_calls_open().select_related("agent")[:200])
    rows = [
        {
            "call": call,
            "number": call.caller if personal else mask_phone(call.caller),
            "dial": dial_url(call.caller) if personal else "",
        }
        for call in missed
    ]
    recent = [
        {"call": call, "number": call.caller if personal else mask_phone(call.caller)}
        for call in Call.objects.select_related("agent", "service_request").exclude(
            status=CallStatus.RINGING
        )[:50]
    ]
    return render(
        request,
        "integrations/calls.html",
        {
            "missed": rows,
            "recent": recent,
            "figures": figures,
            "per_hour": sorted(per_hour.items()),
            "may_call_back": staff.is_superuser or staff.role in CALLERS_BACK,
        },
    )


@login_required
@require_POST
def called_back(request: HttpRequest, pk: int) -> HttpResponseBase:
    staff = _staff(request)
    if not (staff.is_superuser or staff.role in CALLERS_BACK):
        raise PermissionDenied
    call = get_object_or_404(Call, pk=pk)
    try:
        call_called_back(call=call, by=staff)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录回拨"))
    return redirect("integrations:calls")


@login_required
def popup(request: HttpRequest, pk: int) -> HttpResponse:
    """来电弹屏 of one call, for the agent it rings at (the live feed's `call` event loads it)."""
    user = request.user
    assert isinstance(user, Staff)
    call = get_object_or_404(Call, pk=pk)
    if call.agent_id != user.pk and not user.is_superuser:
        raise PermissionDenied
    lookup = caller_lookup(phone=call.caller, viewer=user, past_limit=3)
    return render(request, "integrations/_call_popup.html", {"call": call, "lookup": lookup})
