"""Demo training record: a session in each of the last quarters (the current one left open, so the
missed-quarter view has something to show), attended by most of the hotline and operations staff."""

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from heatline.registry.models import Role, Staff
from heatline.training.models import TRAINED_ROLES, Attendance, Topic, TrainingSession
from heatline.training.selectors import quarter_bounds, quarter_of, quarter_previous

TITLES = {
    Topic.CLASSIFICATION: "诉求分类与登记规范",
    Topic.PROCESS: "接诉即办办理流程与时限",
    Topic.COMMUNICATION: "热线沟通技巧与情绪安抚",
}


@transaction.atomic
def populate(*, rng: random.Random, progress: Callable[[str], None]) -> None:
    if TrainingSession.objects.exists():
        progress("training: already there")
        return
    trainer = Staff.objects.filter(role=Role.DEPT_HEAD, is_active=True).order_by("pk").first()
    recorder = trainer or Staff.objects.filter(is_superuser=True).order_by("pk").first()
    if recorder is None:
        progress("training: no staff to record sessions, skipped")
        return
    trainees = list(Staff.objects.filter(is_active=True, role__in=TRAINED_ROLES).order_by("pk"))
    year, quarter = quarter_of(timezone.localdate())
    sessions = 0
    for _ in range(3):
        year, quarter = quarter_previous(year, quarter)
        first, last = quarter_bounds(year, quarter)
        topics = list(Topic)
        session = TrainingSession.objects.create(
            held_on=first + dt.timedelta(days=rng.randint(10, (last - first).days - 5)),
            year=year,
            quarter=quarter,
            title=TITLES[topics[sessions % 3]],
            covers_classification=True,
            covers_process=True,
            covers_communication=sessions != 1,
            trainer=trainer,
            trainer_name="" if trainer else "外请讲师",
            location="公司三楼会议室",
            recorded_by=recorder,
        )
        attending = [person for person in trainees if rng.random() < 0.85]
        Attendance.objects.bulk_create([Attendance(session=session, staff=person) for person in attending])
        sessions += 1
    progress(f"training: {sessions} sessions")
