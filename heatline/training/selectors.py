"""Reads of the training record: sessions, quarterly coverage and who missed a quarter (第十条)."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from heatline.core.errors import NotVisible
from heatline.registry.models import Staff
from heatline.registry.scoping import visible_district_ids
from heatline.training.models import TRAINED_ROLES, Attendance, Topic, TrainingSession


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of a calendar quarter."""
    first = dt.date(year, 3 * (quarter - 1) + 1, 1)
    next_first = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return first, next_first - dt.timedelta(days=1)


def quarter_previous(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarters_between(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    quarters: list[tuple[int, int]] = []
    year, quarter = quarter_of(first)
    while (year, quarter) <= quarter_of(last):
        quarters.append((year, quarter))
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


def trainees_visible(*, viewer: Staff) -> QuerySet[Staff]:
    """Staff who must be trained, as far as the viewer may see them (district staff: their district)."""
    staff = Staff.objects.filter(is_active=True, role__in=TRAINED_ROLES)
    ids = visible_district_ids(viewer)
    if ids is not None:
        staff = staff.filter(district_id__in=ids)
    return staff.select_related("district").order_by("role", "district_id", "username")


def session_list_visible(*, viewer: Staff, year: int | None = None) -> QuerySet[TrainingSession]:
    """Sessions are company-wide records; everyone signed in may read them."""
    sessions = TrainingSession.objects.select_related("trainer").prefetch_related(
        Prefetch("attendances", queryset=Attendance.objects.select_related("staff"))
    )
    if year is not None:
        sessions = sessions.filter(year=year)
    return sessions


def session_get_visible(*, viewer: Staff, pk: int) -> TrainingSession:
    session = session_list_visible(viewer=viewer).filter(pk=pk).first()
    if session is None:
        raise NotVisible()
    return session


@dataclass
class Coverage:
    year: int
    quarter: int
    sessions: int
    topics: list[str]
    required: int
    trained: int
    missed: list[Staff] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return round(self.trained / self.required, 4) if self.required else None

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def is_without_training(self) -> bool:
        return self.sessions == 0


def coverage(*, year: int, quarter: int, viewer: Staff) -> Coverage:
    """Who of the trainees attended at least one session of the quarter, and who missed it (3 queries)."""
    sessions = list(TrainingSession.objects.filter(year=year, quarter=quarter))
    trainees = list(trainees_visible(viewer=viewer))
    attended = set(
        Attendance.objects.filter(session__year=year, session__quarter=quarter).values_list(
            "staff_id", flat=True
        )
    )
    topics = {topic for session in sessions for topic in session.topics()}
    return Coverage(
        year=year,
        quarter=quarter,
        sessions=len(sessions),
        topics=[str(topic.label) for topic in Topic if topic in topics],
        required=len(trainees),
        trained=sum(1 for person in trainees if person.pk in attended),
        missed=[person for person in trainees if person.pk not in attended],
    )


def coverage_for_period(*, first: dt.date, last: dt.date, viewer: Staff) -> list[Coverage]:
    return [coverage(year=y, quarter=q, viewer=viewer) for y, q in quarters_between(first, last)]


def current_quarter(today: dt.date | None = None) -> tuple[int, int]:
    return quarter_of(today or timezone.localdate())
