"""HTMX pages of 难诉联办: the branch's cases with clocks and next milestones, opening a case (from a
request's page or directly), and a case's page: timeline with documents, participants, contacts,
milestones and the next steps.

Views stay thin (STYLE rule 9): parse → scoped selector (404 outside) → one service or transition.
"""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from heatline.core.errors import DomainError, NotVisible
from heatline.joint.forms import ActionForm, CaseOpenForm, numbers_of
from heatline.joint.models import CaseAction, CaseDocument, CaseStatus, CaseType, JointCase
from heatline.joint.selectors import (
    case_counts,
    case_detail_visible,
    case_get_visible,
    case_list_visible,
    partners_for,
)
from heatline.joint.services import case_open, may_open, requests_resolve
from heatline.joint.transitions import allowed_actions, case_transition, may_act
from heatline.registry.models import District, Role, Staff
from heatline.registry.scoping import scope_by_district, visible_district_ids
from heatline.registry.selectors import stopped_neighbours
from heatline.requests.models import Cause

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Staff:
    user = request.user
    if not isinstance(user, Staff):
        raise PermissionDenied
    return user


def _visible(case_id: int, viewer: Staff) -> JointCase:
    try:
        return case_get_visible(case_id=case_id, viewer=viewer)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Branch managers: their cases with clocks and the next milestones; counts of open, overdue, solved."""
    staff = _staff(request)
    status = request.GET.get("status", "open")
    case_type = request.GET.get("type", "")
    now = timezone.now()
    queryset = case_list_visible(viewer=staff, status=status, type=case_type, now=now)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    counts = case_counts(staff, month_start, now + dt.timedelta(seconds=1))
    return render(
        request,
        "joint/index.html",
        {
            "page": page,
            "cases": list(page.object_list),
            "status": status,
            "type": case_type,
            "types": CaseType.choices,
            "statuses": CaseStatus.choices,
            "counts": counts,
            "today": timezone.localdate(),
            "may_open": may_open(staff),
        },
    )


def _open_form(request: HttpRequest, staff: Staff, initial: dict[str, Any]) -> CaseOpenForm:
    districts = scope_by_district(District.objects.select_related("branch"), staff, field="id")
    ids = visible_district_ids(staff)
    people = Staff.objects.filter(is_active=True, role__in=[Role.BRANCH, Role.DISTRICT, Role.DEPT_HEAD])
    if ids is not None:
        people = people.filter(Q(district_id__in=ids) | Q(branch__districts__id__in=ids)).distinct()
    return CaseOpenForm(
        request.POST or None, initial=initial, districts=districts, staff=people.order_by("username")
    )


def _open(request: HttpRequest, initial: dict[str, Any]) -> HttpResponse:
    staff = _staff(request)
    if not may_open(staff):
        raise PermissionDenied
    form = _open_form(request, staff, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_open(
                type=data["type"],
                summary=data["summary"],
                by=staff,
                request_numbers=numbers_of(data["requests"]),
                district_id=data["district"].pk if data["district"] else None,
                follow_up_id=data["follow_up"].pk if data["follow_up"] else None,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("已立案:%(number)s") % {"number": case.number})
            return redirect("joint:detail", case_id=case.pk)
    return render(request, "joint/open.html", {"form": form, "initial": initial})


@login_required
def open_case(request: HttpRequest) -> HttpResponse:
    """Open a case directly (no request yet: a district is chosen)."""
    return _open(request, {})


@login_required
def open_from_request(request: HttpRequest) -> HttpResponse:
    """Open a case from a request's page: `?request=<number>` fills in the request (and its summary)."""
    staff = _staff(request)
    number = request.GET.get("request", "").strip()
    initial: dict[str, Any] = {"requests": number}
    if number:
        try:
            service_request = requests_resolve([number], staff)[0]
        except DomainError:
            raise Http404(_("未找到,或不在您的管辖范围内")) from None
        initial["summary"] = service_request.content
        initial["district"] = service_request.district_id
    return _open(request, initial)


@login_required
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    staff = _staff(request)
    try:
        case = case_detail_visible(case_id=case_id, viewer=staff)
    except NotVisible:
        raise Http404(_("未找到,或不在您的管辖范围内")) from None
    actions = [action for action in allowed_actions(case) if may_act(staff=staff, case=case, action=action)]
    milestones = list(case.milestones.all())
    links = list(case.links.select_related("service_request__household"))
    households = [link.service_request.household for link in links if link.service_request.household]
    return render(
        request,
        "joint/detail.html",
        {
            "case": case,
            "actions": {str(action) for action in actions},
            "clocks": list(case.clocks.all()),
            "links": links,
            "neighbours": stopped_neighbours(household_ids=[h.pk for h in households]),
            "participants": list(case.participants.all()),
            "contacts": list(case.contacts.all()),
            "milestones": milestones,
            "open_milestones": [m for m in milestones if m.done_at is None],
            "events": list(case.events.all()),
            "partners": list(partners_for()),
            "causes": list(Cause.objects.filter(is_active=True).order_by("code")),
            "today": timezone.localdate(),
            "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "form_choices": ActionForm(),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One step of the case from a form on its page; refusals are shown as messages, never a 500."""
    staff = _staff(request)
    case = _visible(case_id, staff)
    form = ActionForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(str(e) for e in errors)}")
        return redirect("joint:detail", case_id=case.pk)
    params = form.params()
    try:
        if action == CaseAction.LINK_REQUEST:
            params.service_requests = requests_resolve(numbers_of(form.cleaned_data["requests"]), staff)
        case_transition(case=case, action=action, by=staff, params=params)
    except DomainError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, _("已保存"))
    return redirect("joint:detail", case_id=case.pk)


@login_required
def document(request: HttpRequest, case_id: int, document_id: int) -> FileResponse:
    """A case's document, only to those who see the case."""
    case = _visible(case_id, _staff(request))
    row = CaseDocument.objects.filter(case=case, pk=document_id).first()
    if row is None:
        raise Http404
    return FileResponse(row.file.open("rb"), filename=(row.file.name or "document").rsplit("/", 1)[-1])
