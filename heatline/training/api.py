"""API of training (mounted by heatline/api.py): sessions, and the quarter's coverage with who missed it."""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja import Status as HttpStatus

from heatline.api import current_staff
from heatline.core.errors import InvalidInput
from heatline.training import selectors as s
from heatline.training.models import TrainingSession
from heatline.training.schemas import CoverageOut, SessionIn, SessionOut
from heatline.training.services import session_record

router = Router(tags=["training"])


def _out(session: TrainingSession) -> dict[str, Any]:
    return {
        "id": session.pk,
        "held_on": session.held_on,
        "year": session.year,
        "quarter": session.quarter,
        "title": session.title,
        "topics": [str(topic.value) for topic in session.topics()],
        "trainer": session.trainer_display,
        "attendee_ids": [a.staff_id for a in session.attendances.all()],
    }


@router.get("/training/sessions", response=list[SessionOut])
def list_sessions(request: HttpRequest, year: int | None = None) -> list[dict[str, Any]]:
    viewer = current_staff(request)
    return [_out(session) for session in s.session_list_visible(viewer=viewer, year=year)[:500]]


@router.post("/training/sessions", response={201: SessionOut})
def post_session(request: HttpRequest, body: SessionIn) -> HttpStatus[Any]:
    """第十条: record a training; topics are classification, process, communication."""
    viewer = current_staff(request)
    session = session_record(**body.dict(), by=viewer)
    return HttpStatus(201, _out(s.session_get_visible(viewer=viewer, pk=session.pk)))


@router.get("/training/coverage", response=CoverageOut)
def get_coverage(request: HttpRequest, year: int, quarter: int) -> dict[str, Any]:
    """Who of the hotline and operations staff attended a session of the quarter, and who missed it."""
    viewer = current_staff(request)
    if not 1 <= quarter <= 4:
        raise InvalidInput("quarter", field="quarter")
    coverage = s.coverage(year=year, quarter=quarter, viewer=viewer)
    return {
        "year": coverage.year,
        "quarter": coverage.quarter,
        "sessions": coverage.sessions,
        "topics": coverage.topics,
        "required": coverage.required,
        "trained": coverage.trained,
        "share": coverage.share,
        "missed": [
            {"id": p.pk, "name": p.display_name, "role": p.role, "district_id": p.district_id}
            for p in coverage.missed
        ],
    }
