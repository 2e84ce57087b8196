"""Worker job: remind the responsible manager when a quarter ended without training (第十条)."""

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.worker import job
from heatline.outbox.services import notify
from heatline.registry.models import Role, Staff
from heatline.training.models import TrainingSession
from heatline.training.selectors import quarter_of, quarter_previous


def reminder_recipients() -> list[int]:
    """Company management answers for training; the administrator records it when nobody else does."""
    return list(
        Staff.objects.filter(is_active=True, role__in=(Role.MANAGER, Role.ADMIN))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@job("training_quarter_reminder")
def training_quarter_reminder(now: datetime) -> int:
    """1. Take the quarter that ended last. 2. If no session was held in it, notify each responsible
    manager once (dedupe key per quarter and person). Safe to run every loop."""
    year, quarter = quarter_previous(*quarter_of(timezone.localdate(now)))
    if TrainingSession.objects.filter(year=year, quarter=quarter).exists():
        return 0
    sent = 0
    for recipient in reminder_recipients():
        message = notify(
            recipient_id=recipient,
            title=_("%(y)s年第%(q)s季度未开展业务培训") % {"y": year, "q": quarter},
            body=_(
                "第十条要求每季度对话务员和运行人员开展诉求分类、办理流程、沟通技巧培训,请尽快安排并登记。"
            ),
            link=reverse("training:index") + f"?year={year}&quarter={quarter}",
            dedupe_key=f"training-missing:{year}Q{quarter}:{recipient}",
        )
        sent += message is not None
    return sent
