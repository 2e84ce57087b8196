"""Reads of the calls: the callback list and the hotline's answer figures."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from heatline.integrations.models import Call, CallStatus

ANSWER_TARGET = dt.timedelta(seconds=15)


def missed_calls_open() -> QuerySet[Call]:
    """Missed calls not yet called back, oldest first (the hotline works down the list)."""
    return Call.objects.filter(status=CallStatus.MISSED, called_back_at=None).order_by("ringing_at")


def dial_url(number: str) -> str:
    """Click-to-call through the softphone's URL template (HEATLINE_DIAL_URL, `{number}` in it)."""
    return str(settings.HEATLINE_DIAL_URL).replace("{number}", number)


@dataclass
class CallFigures:
    offered: int = 0
    answered: int = 0
    answered_in_15s: int = 0
    abandoned: int = 0
    called_back: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None

    @property
    def answer_rate_15s(self) -> float | None:
        return self.answered_in_15s / self.offered if self.offered else None


def call_figures(*, start: dt.datetime, end: dt.datetime) -> tuple[CallFigures, dict[int, int]]:
    """Calls that rang in [start, end): answer rate, 15-second answer rate, abandoned calls (and abandoned
    per local hour, for staffing the hotline in a cold snap)."""
    figures = CallFigures()
    per_hour: dict[int, int] = {}
    rows = Call.objects.filter(ringing_at__gte=start, ringing_at__lt=end).values_list(
        "status", "ringing_at", "answered_at", "called_back_at"
    )
    for status, ringing_at, answered_at, called_back_at in rows.iterator(chunk_size=5000):
        if status == CallStatus.RINGING:
            continue  # still ringing: not yet offered and lost or answered
        figures.offered += 1
        if answered_at is not None:
            figures.answered += 1
            if answered_at - ringing_at <= ANSWER_TARGET:
                figures.answered_in_15s += 1
        elif status == CallStatus.MISSED:
            figures.abandoned += 1
            hour = timezone.localtime(ringing_at).hour
            per_hour[hour] = per_hour.get(hour, 0) + 1
            if called_back_at is not None:
                figures.called_back += 1
    return figures, per_hour
