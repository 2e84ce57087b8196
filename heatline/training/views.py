"""Training pages: the quarter's coverage, who missed it, the sessions; recording a session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from heatline.core.errors import DomainError, NotVisible
from heatline.registry.models import Staff
from heatline.training import selectors as s
from heatline.training.forms import SessionForm
from heatline.training.models import TRAINED_ROLES
from heatline.training.services import may_record, session_record


def _staff(request: HttpRequest) -> Staff:
    assert isinstance(request.user, Staff)
    return request.user


def _quarter(request: HttpRequest) -> tuple[int, int]:
    year, quarter = s.current_quarter()
    try:
        year = int(request.GET.get("year", year))
        quarter = int(request.GET.get("quarter", quarter))
    except ValueError:
        raise Http404() from None
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        raise Http404()
    return year, quarter


@login_required
def index(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    year, quarter = _quarter(request)
    coverage = s.coverage(year=year, quarter=quarter, viewer=viewer)
    first, last = s.quarter_bounds(year, quarter)
    sessions = list(s.session_list_visible(viewer=viewer).filter(held_on__gte=first, held_on__lte=last))
    previous = s.quarter_previous(year, quarter)
    following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    history = [
        s.coverage(year=y, quarter=q, viewer=viewer)
        for y, q in reversed(
            [s.quarter_previous(*s.quarter_previous(*previous)), s.quarter_previous(*previous), previous]
        )
    ]
    return render(
        request,
        "training/index.html",
        {
            "coverage": coverage,
            "sessions": sessions,
            "previous": previous,
            "following": following,
            "history": history,
            "may_record": may_record(viewer),
        },
    )


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    viewer = _staff(request)
    if not may_record(viewer):
        raise Http404()
    form = SessionForm(request.POST or None)
    form.fields["trainer"].queryset = Staff.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]
    form.fields["attendees"].queryset = Staff.objects.filter(  # type: ignore[attr-defined]
        is_active=True, role__in=TRAINED_ROLES
    ).order_by("role", "username")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = session_record(
                held_on=data["held_on"],
                title=data["title"],
                topics=data["topics"],
                attendee_ids=[person.pk for person in data["attendees"]],
                trainer_id=data["trainer"].pk if data.get("trainer") else None,
                trainer_name=data.get("trainer_name") or "",
                location=data.get("location") or "",
                notes=data.get("notes") or "",
                by=viewer,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("培训已登记"))
            return redirect("training:session_detail", pk=session.pk)
    return render(request, "training/session_form.html", {"form": form})


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _staff(request)
    try:
        session = s.session_get_visible(viewer=viewer, pk=pk)
    except NotVisible:
        raise Http404() from None
    return render(request, "training/session_detail.html", {"session": session})
