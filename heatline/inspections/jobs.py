"""Worker jobs of the rectification ledger: follow-up of open items before and at their due date (第五条.3)."""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from heatline.core.rules import rule_int
from heatline.core.worker import job
from heatline.inspections.models import ItemStatus, RectificationItem
from heatline.inspections.services import item_remind


@job("rectification_followup")
def rectification_followup(now: dt.datetime, batch: int = 200) -> int:
    """Remind the responsible person of open items.

    1. Pick open items with a responsible person whose due date is within the reminder window
       (rectification_remind_days) or already past.
    2. Queue one "due soon" and one "overdue" notification per item (dedupe keys make reruns no-ops).
    """
    today = timezone.localtime(now).date()
    horizon = today + dt.timedelta(days=rule_int("rectification_remind_days"))
    sent = 0
    with transaction.atomic():
        due = RectificationItem.objects.filter(
            Q(due_on__lte=horizon), status=ItemStatus.OPEN, responsible__isnull=False
        ).order_by("due_on", "id")
        for item in due[:batch]:
            if item_remind(item=item, today=today):
                sent += 1
    return sent
