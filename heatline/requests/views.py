"""HTMX pages of 接诉即办: intake (来电弹屏), lists, work queue, callbacks and the request detail.

Views stay thin (STYLE rule 9): parse a form → scoped selector (404 outside the viewer's districts)
→ one service or transition → template. Domain errors are shown next to the form, never a 500.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from heatline.core.errors import ActionForbidden, DomainError, InvalidInput, NotVisible, TransitionNotAllowed
from heatline.core.rules import rule
from heatline.incidents.models import Incident
from heatline.incidents.selectors import incidents_for_requests, incidents_open_for_households
from heatline.proactive.selectors import watchlist_status_for_households
from heatline.registry.models import District, Household, Role, Staff
from heatline.registry.scoping import mask_name, mask_phone, scope_by_district, sees_personal_data
from heatline.registry.selectors import household_search
from heatline.requests import forms as f
from heatline.requests.models import (
    OPEN_STATUSES,
    Action,
    Attachment,
    ClockName,
    Extension,
    ExtensionStatus,
    Kind,
    RequestEvent,
    ServiceRequest,
    Status,
)
from heatline.requests.permissions import may_act, may_approve_extension
from heatline.requests.routing import suggest
from heatline.requests.selectors import (
    callbacks_due,
    caller_lookup,
    request_get_visible,
    request_list_visible,
    warn_times,
    work_queue,
)
from heatline.requests.services import (
    Intake,
    extension_decide,
    extension_request,
    request_link_repeat,
    request_register,
)
from heatline.requests.transitions import Params, allowed_actions, request_transition

PAGE_SIZE = 50
INTAKE_FIELDS = {
    "source",
    "external_id",
    "phone",
    "caller_name",
    "address",
    "district",
    "content",
    "category",
    "kind",
    "nature",
    "resolved_at_intake",
    "received_at",
}


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    if not isinstance(user, Staff):
        raise PermissionDenied
    return user


def _visible(number: str, viewer: Staff) -> ServiceRequest:
    try:
        return request_get_visible(number=number, viewer=viewer)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None


def _add_domain_error(form: forms.Form, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _households_context(households: list[Household], viewer: Staff) -> dict[str, Any]:
    """What the operator sees about households at once: watch list, open incidents (other apps' lookups)."""
    ids = [household.pk for household in households]
    return {
        "watch": watchlist_status_for_households(ids) if ids else {},
        "incidents": incidents_open_for_households(ids) if ids else {},
        "show_personal": sees_personal_data(viewer),
    }


# ----------------------------------------------------------------------------------------- intake


def _household_visible(account_number: str, viewer: Staff) -> Household | None:
    queryset = Household.objects.select_related("building__district", "building__community")
    return (
        scope_by_district(queryset, viewer, field="building__district")
        .filter(account_number=account_number)
        .first()
    )


def _household_panel_context(
    household: Household, viewer: Staff, *, known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The picked household: its open and past requests, watch list and incidents (`known`: already looked up)."""
    requests = list(
        scope_by_district(
            ServiceRequest.objects.filter(household=household).select_related("assignee", "category"),
            viewer,
        ).order_by("-received_at")[:15]
    )
    context = dict(known) if known is not None else _households_context([household], viewer)
    context.update(
        household=household,
        open_requests=[r for r in requests if r.status in OPEN_STATUSES],
        past_requests=[r for r in requests if r.status not in OPEN_STATUSES][:5],
    )
    return context


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """来电登记 (第六条.2): opened by the phone system as /intake/?caller=<phone> (来电弹屏)."""
    viewer = _staff(request)
    if request.method == "POST":
        form = f.IntakeForm(request.POST)
        if form.is_valid():
            response = _register(request, form, viewer)
            if response is not None:
                return response
        return _intake_page(request, form, viewer, phone=request.POST.get("phone", ""), status=422)
    caller = request.GET.get("caller", "").strip()[:20]
    initial: dict[str, Any] = {"received_at": timezone.now(), "phone": caller}
    form = f.IntakeForm(initial=initial)
    return _intake_page(request, form, viewer, phone=caller)


def _intake_page(
    request: HttpRequest, form: f.IntakeForm, viewer: Staff, *, phone: str, status: int = 200
) -> HttpResponse:
    lookup = caller_lookup(phone=phone, viewer=viewer) if phone else None
    households = lookup.households if lookup else []
    picked: Household | None = None
    account = form["household"].value() if form.is_bound else None
    if account:
        picked = _household_visible(str(account), viewer)
    elif len(households) == 1:
        picked = households[0]
        form.initial.update(address=picked.address, caller_name=picked.contact_name)
    received_at = _received_at(form)
    context: dict[str, Any] = {
        "form": form,
        "caller": phone,
        "lookup": lookup,
        "received_at": received_at,
        "received_at_iso": _iso(received_at),
        "intake_minutes": rule("intake_minutes"),
        "watch": lookup.watchlist if lookup else {},
        "incidents": lookup.incidents if lookup else {},
        "show_personal": sees_personal_data(viewer),
    }
    if picked is not None:
        known = None
        if any(household.pk == picked.pk for household in households):
            known = {key: context[key] for key in ("watch", "incidents", "show_personal")}
        context["panel"] = _household_panel_context(picked, viewer, known=known)
    return render(request, "requests/intake.html", context, status=status)


def _received_at(form: f.IntakeForm) -> Any:
    if not form.is_bound:
        return form.initial["received_at"]
    try:
        return form.fields["received_at"].clean(form["received_at"].value()) or timezone.now()
    except forms.ValidationError:
        return timezone.now()


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value or "")


def _register(request: HttpRequest, form: f.IntakeForm, viewer: Staff) -> HttpResponse | None:
    data = form.cleaned_data
    category = data.get("category")
    district = data.get("district")
    account = data.get("household") or None
    typed = (data.get("address") or "").strip()
    if account is None and typed.isdigit() and _household_visible(typed, viewer) is not None:
        account = typed  # the operator typed an account number and registered before picking it
    intake_values = Intake(
        source=data["source"],
        phone=data["phone"],
        content=data["content"],
        caller_name=data.get("caller_name") or "",
        address=data.get("address") or "",
        household=account,
        category=category.code if category else None,
        kind=data.get("kind") or None,
        nature=data["nature"],
        external_id=data.get("external_id") or None,
        received_at=data.get("received_at") or None,
        district_id=district.pk if district else None,
        resolved_at_intake=data.get("resolved_at_intake") or "",
        wants_callback=bool(data.get("wants_callback")),
    )
    try:
        service_request, created = request_register(intake=intake_values, by=viewer)
    except (InvalidInput, ActionForbidden) as error:
        if error.field == "household":
            error.field = "address"
        _add_domain_error(form, error)
        return None
    if not created:
        messages.warning(request, _("平台工单号已登记过:%(number)s") % {"number": service_request.number})
    elif service_request.status == Status.CLOSED:
        messages.success(request, _("已登记 %(number)s,直办办结") % {"number": service_request.number})
    elif service_request.assignee is not None:
        messages.success(
            request,
            _("已登记 %(number)s,已派给 %(assignee)s")
            % {"number": service_request.number, "assignee": service_request.assignee.display_name},
        )
    else:
        messages.warning(
            request, _("已登记 %(number)s,尚未派单:请选择片区") % {"number": service_request.number}
        )
    return redirect("requests:detail", number=service_request.number)


@login_required
@require_GET
def intake_households(request: HttpRequest) -> HttpResponse:
    """As-you-type address search by account number or address fragment (partial)."""
    viewer = _staff(request)
    q = (request.GET.get("q") or request.GET.get("address") or "").strip()[:100]
    households = list(household_search(q=q, viewer=viewer, limit=12)) if len(q) >= 2 else []
    context = {"households": households, "q": q, **_households_context(households, viewer)}
    return render(request, "requests/_household_results.html", context)


@login_required
@require_GET
def intake_household(request: HttpRequest, account_number: str) -> HttpResponse:
    """The picked household: fills the form's household and shows its open requests (duplicate warning)."""
    viewer = _staff(request)
    household = _household_visible(account_number, viewer)
    if household is None:
        raise Http404(_("未找到该户"))
    context = _household_panel_context(household, viewer)
    context["picked"] = True
    return render(request, "requests/_household_panel.html", context)


@login_required
@require_GET
def intake_suggest(request: HttpRequest) -> HttpResponse:
    """第七条.1: category and kind suggested from what the caller said; the operator has the last word."""
    content = (request.GET.get("content") or "")[:4000]
    suggestion = suggest(content) if content.strip() else None
    return render(request, "requests/_suggestion.html", {"suggestion": suggestion, "kinds": Kind})


@login_required
@require_POST
def intake_link_repeat(request: HttpRequest) -> HttpResponse:
    """重复来电: the call is counted on the household's open request instead of opening a new one."""
    viewer = _staff(request)
    form = f.LinkRepeatForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择要关联的工单"))
        return redirect("intake:index")
    service_request = _visible(form.cleaned_data["repeat_of"], viewer)
    try:
        service_request = request_link_repeat(
            service_request=service_request,
            by=viewer,
            phone=form.cleaned_data.get("phone") or "",
            note=form.cleaned_data.get("note") or "",
        )
    except TransitionNotAllowed as error:
        messages.error(request, error.message)
        return redirect("requests:detail", number=service_request.number)
    except (ActionForbidden, InvalidInput) as error:
        messages.error(request, error.message)
        return redirect("requests:detail", number=service_request.number)
    messages.success(
        request,
        _("已记为 %(number)s 的重复来电(共%(count)s次)")
        % {"number": service_request.number, "count": service_request.repeat_count},
    )
    return redirect("requests:detail", number=service_request.number)


# ------------------------------------------------------------------------------------------ lists


@dataclass
class Row:
    """A request as a list shows it: personal data masked for viewers without the need."""

    service_request: ServiceRequest
    phone: str
    caller_name: str
    is_overdue: bool
    incident: Incident | None  # the outage a linked call waits on (it has no job of its own)
    warn_at: datetime | None = None  # the 80 % warning of the next clock (the countdown turns amber)


def _rows(requests: list[ServiceRequest], viewer: Staff) -> list[Row]:
    show = sees_personal_data(viewer)
    now = timezone.now()
    incidents = incidents_for_requests(r.pk for r in requests)
    warnings = warn_times(requests)
    return [
        Row(
            service_request=r,
            phone=r.phone if show else mask_phone(r.phone),
            caller_name=r.caller_name if show else mask_name(r.caller_name),
            is_overdue=r.status in OPEN_STATUSES and r.next_due_at is not None and r.next_due_at < now,
            incident=incidents.get(r.pk),
            warn_at=warnings.get(r.pk),
        )
        for r in requests
    ]


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    form = f.FilterForm(request.GET or None)
    district_field = form.fields["district"]
    assert isinstance(district_field, forms.ModelChoiceField)
    district_field.queryset = scope_by_district(District.objects.order_by("code"), viewer, field="id")
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data.get("status") or "",
            "kind": data.get("kind") or "",
            "source": data.get("source") or "",
            "district": data["district"].pk if data.get("district") else None,
            "overdue": bool(data.get("overdue")),
            "today": bool(data.get("today")),
            "q": data.get("q") or "",
        }
    queryset = request_list_visible(viewer=viewer, **filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "requests/list.html",
        {
            "form": form,
            "page": page,
            "rows": _rows(list(page.object_list), viewer),
            "query": query.urlencode(),
        },
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """我的待办: my open jobs, nearest due time first, with live countdowns."""
    viewer = _staff(request)
    requests = list(work_queue(viewer=viewer)[:200])
    return render(request, "requests/queue.html", {"rows": _rows(requests, viewer)})


@login_required
def callbacks(request: HttpRequest) -> HttpResponse:
    """回访 (第八条): requests waiting for the hotline's callback, by callback due time."""
    viewer = _staff(request)
    requests = list(callbacks_due(viewer=viewer)[:200])
    return render(
        request,
        "requests/callbacks.html",
        {
            "rows": _rows(requests, viewer),
            "form": f.CallbackForm(auto_id=False),
            "show_personal": sees_personal_data(viewer),
            "may_call_back": _is_hotline(viewer),
        },
    )


def _is_hotline(viewer: Staff) -> bool:
    return viewer.is_superuser or viewer.role in (Role.OPERATOR, Role.ADMIN)


# ----------------------------------------------------------------------------------------- detail


@dataclass(frozen=True)
class ActionSpec:
    form: type[forms.Form]
    params: Callable[[dict[str, Any]], Params]
    danger: bool = False


def _params_contact(data: dict[str, Any]) -> Params:
    return Params(note=data.get("note") or "", appointment_at=data.get("appointment_at"))


def _params_note(data: dict[str, Any]) -> Params:
    return Params(note=data.get("note") or "")


def _params_complete(data: dict[str, Any]) -> Params:
    return Params(cause=data["cause"].code, result=data["result"])


def _params_callback(data: dict[str, Any]) -> Params:
    solved = {"yes": True, "no": False}.get(data.get("solved") or "")
    return Params(
        outcome=data["outcome"],
        channel=data["channel"],
        solved=solved,
        satisfaction=data.get("satisfaction") or None,
        comment=data.get("comment") or "",
    )


def _params_reassign(data: dict[str, Any]) -> Params:
    assignee, district = data.get("assignee"), data.get("district")
    return Params(
        note=data["note"],
        assignee_id=assignee.pk if assignee else None,
        district_id=district.pk if district else None,
    )


def _params_dispatch(data: dict[str, Any]) -> Params:
    return Params(district_id=data["district"].pk)


ACTIONS: dict[str, ActionSpec] = {
    Action.DISPATCH: ActionSpec(f.DispatchForm, _params_dispatch),
    Action.CONTACT: ActionSpec(f.ContactForm, _params_contact),
    Action.ARRIVE: ActionSpec(f.NoteForm, _params_note),
    Action.COMPLETE: ActionSpec(f.CompleteForm, _params_complete),
    Action.REPORT: ActionSpec(f.NoteForm, _params_note),
    Action.CALLBACK: ActionSpec(f.CallbackForm, _params_callback),
    Action.WAIT: ActionSpec(f.WaitForm, _params_contact),
    Action.REASSIGN: ActionSpec(f.ReassignForm, _params_reassign),
    Action.RETURN: ActionSpec(f.ReasonForm, _params_note, danger=True),
    Action.EXCLUDE: ActionSpec(f.ReasonForm, _params_note, danger=True),
}
# The order the buttons appear in: the next step of the work first.
ACTION_ORDER = [
    Action.DISPATCH,
    Action.CONTACT,
    Action.ARRIVE,
    Action.COMPLETE,
    Action.REPORT,
    Action.CALLBACK,
    Action.WAIT,
    Action.EXTEND,
    Action.REASSIGN,
    Action.RETURN,
    Action.EXCLUDE,
]


def _open_clock_choices(service_request: ServiceRequest) -> list[tuple[str, str]]:
    now = timezone.now()
    return [
        (clock.name, f"{ClockName(clock.name).label} · {timezone.localtime(clock.due_at):%m-%d %H:%M}")
        for clock in service_request.clocks.filter(
            round=service_request.round, met_at=None, cancelled_at=None, due_at__gt=now
        )
    ]


def _new_form(
    action: str, service_request: ServiceRequest, data: Any = None, files: Any = None
) -> forms.Form:
    if action == Action.EXTEND:
        return f.ExtendForm(data, clocks=_open_clock_choices(service_request))
    form = ACTIONS[action].form(data, files)
    if action == Action.REASSIGN:
        assignee_field = form.fields["assignee"]
        assert isinstance(assignee_field, forms.ModelChoiceField)
        assignee_field.queryset = Staff.objects.filter(
            is_active=True, role__in=(Role.DISTRICT, Role.WORKER, Role.DEPT_HEAD, Role.CREW, Role.BRANCH)
        ).order_by("role", "username")
    return form


def _available_actions(service_request: ServiceRequest, viewer: Staff) -> list[str]:
    allowed = set(allowed_actions(service_request))
    return [
        action
        for action in ACTION_ORDER
        if action in allowed and may_act(staff=viewer, service_request=service_request, action=action)
    ]


@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    viewer = _staff(request)
    service_request = _visible(number, viewer)
    return _detail_page(request, service_request, viewer)


def _detail_page(
    request: HttpRequest,
    service_request: ServiceRequest,
    viewer: Staff,
    *,
    failed_action: str = "",
    failed_form: forms.Form | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actions = []
    for action in _available_actions(service_request, viewer):
        form = failed_form if action == failed_action and failed_form is not None else None
        actions.append(
            {
                "action": action,
                "label": Action(action).label,
                "form": form or _new_form(action, service_request),
                "is_open": action == failed_action,
                "error": error if action == failed_action else "",
                "danger": action in ACTIONS and ACTIONS[action].danger,
                "multipart": action == Action.COMPLETE,
            }
        )
    shown = {item["action"] for item in actions}
    page_error = error if error and failed_action not in shown and failed_action != "decide" else ""
    show = sees_personal_data(viewer)
    pending = list(
        service_request.extensions.filter(status=ExtensionStatus.PENDING).select_related(
            "clock", "requested_by"
        )
    )
    context = {
        "sr": service_request,
        "phone": service_request.phone if show else mask_phone(service_request.phone),
        "caller_name": service_request.caller_name if show else mask_name(service_request.caller_name),
        "show_personal": show,
        "clocks": list(service_request.clocks.order_by("round", "due_at", "id")),
        "events": list(service_request.events.select_related("actor").order_by("at", "id")),
        "attachments": list(service_request.attachments.order_by("uploaded_at")),
        "callback_rows": list(service_request.callbacks.select_related("by").order_by("at")),
        "extensions": list(service_request.extensions.select_related("clock", "requested_by", "decided_by")),
        "pending_extensions": pending,
        "may_decide": may_approve_extension(viewer),
        "decide_form": f.ExtensionDecideForm(),
        "decide_error": error if failed_action == "decide" else "",
        "actions": actions,
        "page_error": page_error,
        "now": timezone.now(),
        "is_government": service_request.source in ("12345", "12319"),
        "incident": incidents_for_requests([service_request.pk]).get(service_request.pk),
    }
    return render(request, "requests/detail.html", context, status=status)


def _next_url(request: HttpRequest, service_request: ServiceRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("requests:detail", kwargs={"number": service_request.number})


@login_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponseBase:
    """One small POST form per action; errors return the page with the message next to the form."""
    viewer = _staff(request)
    service_request = _visible(number, viewer)
    if action not in ACTIONS and action != Action.EXTEND:
        raise Http404(_("未知的操作"))
    form = _new_form(action, service_request, request.POST, request.FILES)
    if not form.is_valid():
        return _detail_page(
            request, service_request, viewer, failed_action=action, failed_form=form, status=422
        )
    try:
        with transaction.atomic():
            if action == Action.EXTEND:
                extension_request(
                    service_request=service_request,
                    clock_name=form.cleaned_data["clock"],
                    new_due_at=form.cleaned_data["new_due_at"],
                    reason=form.cleaned_data["reason"],
                    by=viewer,
                )
            else:
                service_request = request_transition(
                    service_request=service_request,
                    action=action,
                    by=viewer,
                    params=ACTIONS[action].params(form.cleaned_data),
                )
                photo = form.cleaned_data.get("photo")
                if photo:
                    _attach(service_request, photo, viewer)
    except InvalidInput as error:
        _add_domain_error(form, error)
        service_request = _visible(number, viewer)
        return _detail_page(
            request, service_request, viewer, failed_action=action, failed_form=form, status=422
        )
    except ActionForbidden as error:
        service_request = _visible(number, viewer)
        return _detail_page(
            request,
            service_request,
            viewer,
            failed_action=action,
            failed_form=form,
            error=error.message,
            status=403,
        )
    except TransitionNotAllowed:
        service_request = _visible(number, viewer)
        return _detail_page(
            request,
            service_request,
            viewer,
            failed_action=action,
            failed_form=form,
            error=_("已被他人处理,请刷新"),
            status=409,
        )
    if action == Action.EXTEND:
        messages.success(request, _("延期申请已提交,待科室负责人或分公司经理审批"))
    else:
        messages.success(
            request,
            _("已%(action)s:%(number)s(%(status)s)")
            % {
                "action": Action(action).label,
                "number": service_request.number,
                "status": service_request.get_status_display(),
            },
        )
    return redirect(_next_url(request, service_request))


def _attach(service_request: ServiceRequest, photo: Any, viewer: Staff) -> Attachment:
    event = RequestEvent.objects.filter(service_request=service_request).order_by("-at", "-id").first()
    return Attachment.objects.create(
        service_request=service_request,
        event=event,
        file=photo,
        uploaded_by=viewer,
        uploaded_at=timezone.now(),
    )


@login_required
@require_POST
def extension_decide_view(request: HttpRequest, number: str, extension_id: int) -> HttpResponseBase:
    """延期审批: a department head or branch manager approves (the due time moves) or rejects."""
    viewer = _staff(request)
    service_request = _visible(number, viewer)
    extension = Extension.objects.filter(pk=extension_id, service_request=service_request).first()
    if extension is None:
        raise Http404(_("未找到该延期申请"))
    form = f.ExtensionDecideForm(request.POST)
    if not form.is_valid():
        return _detail_page(
            request, service_request, viewer, failed_action="decide", error=_("请选择批准或驳回"), status=422
        )
    try:
        extension_decide(
            extension=extension,
            approve=form.cleaned_data["decision"] == "approve",
            by=viewer,
            note=form.cleaned_data.get("note") or "",
        )
    except (ActionForbidden, TransitionNotAllowed, InvalidInput) as error:
        status = 403 if isinstance(error, ActionForbidden) else 409
        return _detail_page(
            request, service_request, viewer, failed_action="decide", error=error.message, status=status
        )
    messages.success(request, _("延期申请已处理"))
    return redirect("requests:detail", number=service_request.number)


@login_required
@require_POST
def hotspot_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponseBase:
    """热点预警 acknowledged from the dashboard by a head (it stops escalating)."""
    from heatline.requests.api import HOTSPOT_HEADS
    from heatline.requests.hotspots import hotspot_acknowledge, hotspots_visible

    staff = _staff(request)
    if not (staff.is_superuser or staff.role in HOTSPOT_HEADS):
        raise PermissionDenied
    alert = hotspots_visible(viewer=staff).filter(pk=alert_id).first()
    if alert is None:
        raise Http404(_("未找到,或不在您的管辖范围内"))
    try:
        hotspot_acknowledge(alert=alert, by=staff)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已确认热点预警"))
    return redirect("home")
