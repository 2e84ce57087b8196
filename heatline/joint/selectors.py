"""Reads of 难诉联办, each scoped by the viewer: only the leading branch and involved staff see a case
(management and administrators read everything); anyone else gets NotVisible (404)."""

from datetime import datetime
from typing import TypedDict

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from heatline.core.errors import NotVisible
from heatline.joint.models import (
    OPEN_STATUSES,
    CaseClock,
    CaseContact,
    CaseDocument,
    CaseEvent,
    CaseMember,
    CaseMilestone,
    CaseParticipant,
    CaseRequest,
    CaseStatus,
    JointCase,
)
from heatline.registry.models import PartnerBody, Role, Staff

READ_ALL_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def _scoped(queryset: QuerySet[JointCase], viewer: Staff) -> QuerySet[JointCase]:
    if not viewer.is_active:
        return queryset.none()
    if viewer.is_superuser or viewer.role in READ_ALL_ROLES:
        return queryset
    involved = Exists(CaseMember.objects.filter(case=OuterRef("pk"), staff=viewer))
    leading = (
        Q(branch_id=viewer.branch_id) if viewer.role == Role.BRANCH and viewer.branch_id else Q(pk__in=[])
    )
    return queryset.filter(leading | involved | Q(follow_up=viewer))


def _overdue(now: datetime) -> Q:
    late_clock = Exists(CaseClock.objects.filter(case=OuterRef("pk"), met_at=None, due_at__lt=now))
    late_milestone = Exists(
        CaseMilestone.objects.filter(
            case=OuterRef("pk"), done_at=None, due_date__lt=timezone.localtime(now).date()
        )
    )
    return Q(status__in=OPEN_STATUSES) & (late_clock | late_milestone)


def case_list_visible(
    *, viewer: Staff, status: str = "", type: str = "", now: datetime | None = None
) -> QuerySet[JointCase]:
    """The viewer's cases with their clocks and open milestones (for the branch managers' page)."""
    now = now or timezone.now()
    queryset = _scoped(JointCase.objects.all(), viewer).select_related("branch", "district", "follow_up")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status == "overdue":
        queryset = queryset.filter(_overdue(now))
    elif status == "solved":
        queryset = queryset.filter(solved_at__isnull=False)
    elif status in CaseStatus.values:
        queryset = queryset.filter(status=status)
    if type:
        queryset = queryset.filter(type=type)
    return queryset.prefetch_related(
        Prefetch("clocks", queryset=CaseClock.objects.order_by("due_at")),
        Prefetch(
            "milestones",
            queryset=CaseMilestone.objects.filter(done_at=None).order_by("due_date", "id"),
            to_attr="open_milestones",
        ),
    ).order_by("-opened_at", "-id")


def case_get_visible(*, case_id: int, viewer: Staff) -> JointCase:
    """One case, or NotVisible (404) when it does not exist or the viewer is neither leading nor involved."""
    case = (
        _scoped(JointCase.objects.select_related("branch", "district", "follow_up"), viewer)
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotVisible()
    return case


def case_detail_visible(*, case_id: int, viewer: Staff) -> JointCase:
    """One case with everything its page and the API show: clocks, requests, timeline, documents…"""
    case = (
        _scoped(JointCase.objects.select_related("branch", "district", "follow_up", "opened_by"), viewer)
        .prefetch_related(
            Prefetch("clocks", queryset=CaseClock.objects.order_by("due_at")),
            Prefetch(
                "links",
                queryset=CaseRequest.objects.select_related("service_request__assignee").order_by("id"),
            ),
            Prefetch(
                "participants", queryset=CaseParticipant.objects.select_related("partner").order_by("id")
            ),
            Prefetch("contacts", queryset=CaseContact.objects.select_related("partner", "recorded_by")),
            Prefetch("milestones", queryset=CaseMilestone.objects.select_related("done_by")),
            Prefetch(
                "events",
                queryset=CaseEvent.objects.select_related("actor")
                .prefetch_related(Prefetch("documents", queryset=CaseDocument.objects.order_by("id")))
                .order_by("at", "id"),
            ),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotVisible()
    return case


def cases_for_request(*, service_request_id: int, viewer: Staff) -> list[JointCase]:
    """The visible cases a request belongs to (for the request's page)."""
    return list(
        _scoped(JointCase.objects.filter(links__service_request_id=service_request_id), viewer).order_by(
            "-opened_at"
        )
    )


def partners_for() -> QuerySet[PartnerBody]:
    """The partner register (participants must come from it)."""
    return PartnerBody.objects.order_by("kind", "name")


class CaseCounts(TypedDict):
    opened: int  # opened in [start, end)
    open: int  # opened before `end` and not closed by then
    overdue: int  # open now with a clock past due or a milestone past its date
    solved: int  # solved in [start, end)


def case_counts(viewer: Staff, start: datetime, end: datetime) -> CaseCounts:
    """Counts for reports (难诉联办): opened, open, overdue and solved cases the viewer may see."""
    base = _scoped(JointCase.objects.all(), viewer)
    open_at_end = base.filter(opened_at__lt=end).filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    now = min(end, timezone.now())
    return CaseCounts(
        opened=base.filter(opened_at__gte=start, opened_at__lt=end).count(),
        open=open_at_end.count(),
        overdue=base.filter(_overdue(now)).count(),
        solved=base.filter(solved_at__gte=start, solved_at__lt=end).count(),
    )
