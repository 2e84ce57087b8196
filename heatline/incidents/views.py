"""HTMX/Django pages of incidents: list (with suggestions and the dashboard widget), create, detail, actions."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import DomainError, NotVisible
from heatline.incidents import forms as f
from heatline.incidents.models import Incident, IncidentClock, IncidentEvent, IncidentKind, IncidentStatus
from heatline.incidents.permissions import may_change_incident, may_link_call, may_open_incident
from heatline.incidents.selectors import (
    incident_get_visible,
    incident_links,
    incident_list_visible,
    incident_suggestions,
    incidents_dashboard,
    suggestion_requests,
)
from heatline.incidents.services import (
    IncidentInput,
    incident_arrive,
    incident_callbacks_bulk,
    incident_link_call,
    incident_open,
    incident_resolve,
    incident_restore,
    incident_update,
)
from heatline.maps.services import area_parse
from heatline.maps.views import map_config
from heatline.registry.models import PipeSection, Role, Staff, Station
from heatline.registry.scoping import sees_personal_data
from heatline.requests.models import Category, Source, Status
from heatline.requests.services import Intake


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _visible(viewer: Staff, pk: int) -> Incident:
    try:
        return incident_get_visible(viewer=viewer, pk=pk)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    status = request.GET.get("status", "active")
    kind = request.GET.get("kind") or None
    if status not in ("active", *IncidentStatus.values, ""):
        status = "active"
    if kind not in (None, *IncidentKind.values):
        kind = None
    shows_suggestions = viewer.is_superuser or viewer.role in (
        Role.OPERATOR,
        Role.ADMIN,
        Role.CREW,
        Role.BRANCH,
    )
    return render(
        request,
        "incidents/list.html",
        {
            "incidents": incident_list_visible(viewer=viewer, status=status or None, kind=kind),
            "status": status,
            "kind": kind or "",
            "statuses": IncidentStatus.choices,
            "kinds": IncidentKind.choices,
            "suggestions": incident_suggestions(viewer=viewer) if shows_suggestions else [],
            "dashboard": incidents_dashboard(viewer=viewer),
            "may_open": may_open_incident(viewer, [])
            or viewer.role in (Role.DISTRICT, Role.WORKER, Role.BRANCH),
        },
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    form = f.IncidentForm(request.POST or None, initial={"kind": request.GET.get("kind", IncidentKind.FAULT)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_open(
                data=IncidentInput(
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    station_id=data["station"].pk if data["station"] else None,
                    pipe_section_id=data["pipe_section"].pk if data["pipe_section"] else None,
                    community_id=data["community"].pk if data["community"] else None,
                    building_id=data["building_id"],
                    category=data["category"] or None,
                    crew_id=data["crew"].pk if data["crew"] else None,
                    started_at=data["started_at"],
                    expected_restore_at=data["expected_restore_at"],
                    area=area_parse(data["area"]) if data["area"] else None,
                    building_ids=data["building_ids"],
                ),
                by=viewer,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("incidents:detail", pk=incident.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "incidents/create.html", {"form": form, "map_config": map_config(viewer)}, status=status
    )


@login_required
@require_POST
def open_suggestion(request: HttpRequest) -> HttpResponse:
    """One click of the hotline lead: open the incident with the suggested calls linked."""
    viewer = _staff(request)
    form = f.SuggestionForm(request.POST)
    if not form.is_valid():
        raise Http404()
    asset, asset_id, category_id = (form.cleaned_data[k] for k in ("asset", "asset_id", "category_id"))
    model = Station if asset == "station" else PipeSection
    name = model.objects.filter(pk=asset_id).values_list("name", flat=True).first()  # type: ignore[attr-defined]
    category = Category.objects.filter(pk=category_id).first()
    if name is None or category is None:
        raise Http404()
    calls = suggestion_requests(viewer=viewer, asset=asset, asset_id=asset_id, category_id=category_id)
    try:
        incident = incident_open(
            data=IncidentInput(
                title=_("%(asset)s %(symptom)s") % {"asset": name, "symptom": category.name},
                station_id=asset_id if asset == "station" else None,
                pipe_section_id=asset_id if asset == "pipe_section" else None,
                category=category.code,
                started_at=min((call.received_at for call in calls), default=None),
            ),
            by=viewer,
            link_requests=calls,
        )
    except DomainError as error:
        return HttpResponse(error.message, status=error.status)
    return redirect("incidents:detail", pk=incident.pk)


def _detail(
    request: HttpRequest,
    incident: Incident,
    viewer: Staff,
    *,
    status: int = 200,
    forms: dict[str, Any] | None = None,
    message: str = "",
) -> HttpResponse:
    links = incident_links(incident=incident)
    reported = [link.service_request.pk for link in links if link.service_request.status == Status.REPORTED]
    context: dict[str, Any] = {
        "incident": incident,
        "links": links,
        "reported_ids": reported,
        "clocks": list(IncidentClock.objects.filter(incident=incident)),
        "events": list(IncidentEvent.objects.filter(incident=incident).select_related("actor")),
        "may_change": may_change_incident(viewer, incident),
        "may_link": may_link_call(viewer, incident) and incident.status != IncidentStatus.CLOSED,
        "may_callback": viewer.is_superuser or viewer.role in (Role.OPERATOR, Role.ADMIN),
        "show_personal": sees_personal_data(viewer),
        "link_form": f.LinkForm(
            initial={"household": request.GET.get("household", ""), "phone": request.GET.get("phone", "")}
        ),
        "update_form": f.UpdateForm(),
        "resolve_form": f.ResolveForm(),
        "callbacks_form": f.CallbacksForm(request_ids=reported),
        "message": message,
    }
    context.update(forms or {})
    return render(request, "incidents/detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _staff(request)
    return _detail(request, _visible(viewer, pk), viewer)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One small POST form per action; an error returns the page with the message beside the form."""
    viewer = _staff(request)
    incident = _visible(viewer, pk)
    form_classes: dict[str, tuple[str, Any]] = {
        "link": ("link_form", f.LinkForm),
        "update": ("update_form", f.UpdateForm),
        "restore": ("resolve_form", f.ResolveForm),
        "resolve": ("resolve_form", f.ResolveForm),
        "arrive": ("", None),
        "callbacks": ("callbacks_form", f.CallbacksForm),
    }
    if action not in form_classes:
        raise Http404()
    name, form_class = form_classes[action]
    form = None
    if form_class is f.CallbacksForm:
        ids = list(incident.links.values_list("service_request_id", flat=True))
        form = f.CallbacksForm(request.POST, request_ids=ids)
    elif form_class is not None:
        form = form_class(request.POST)
    if form is not None and not form.is_valid():
        return _detail(request, incident, viewer, status=422, forms={name: form})
    data = form.cleaned_data if form is not None else {}
    message = ""
    try:
        with transaction.atomic():
            if action == "link":
                service_request, _link = incident_link_call(
                    incident=incident,
                    intake=Intake(
                        source=Source.HOTLINE,
                        phone=data["phone"],
                        content=data["content"],
                        caller_name=data["caller_name"],
                        household=data["household"],
                    ),
                    by=viewer,
                )
                message = _("来电已关联:%(number)s") % {"number": service_request.number}
            elif action == "update":
                incident_update(
                    incident=incident,
                    by=viewer,
                    expected_restore_at=data["expected_restore_at"],
                    description=data["description"] or None,
                )
            elif action == "arrive":
                incident_arrive(incident=incident, by=viewer)
            elif action == "restore":
                incident_restore(
                    incident=incident,
                    by=viewer,
                    restored_at=data["restored_at"],
                    result=data["result"],
                    cause=data["cause"].code if data["cause"] else None,
                )
            elif action == "resolve":
                result = incident_resolve(
                    incident=incident,
                    by=viewer,
                    restored_at=data["restored_at"],
                    result=data["result"],
                    cause=data["cause"].code if data["cause"] else None,
                )
                message = _("已向%(n)s个来电反馈结果,回访时限已开始") % {"n": result.reported + result.walked}
            elif action == "callbacks":
                done = incident_callbacks_bulk(
                    incident=incident,
                    request_ids=data["requests"],
                    by=viewer,
                    outcome=data["outcome"],
                    solved=data["solved"],
                    satisfaction=data["satisfaction"] or None,
                    comment=data["comment"],
                )
                message = _("已回访%(n)s户") % {"n": len(done.done)}
    except DomainError as error:
        if form is None:
            return _detail(request, incident, viewer, status=error.status, message=error.message)
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _detail(request, incident, viewer, status=error.status, forms={name: form})
    return _detail(request, _visible(viewer, pk), viewer, message=message)
