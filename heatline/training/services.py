"""Writes of the training record (第十条 培训)."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.audit import audit_record
from heatline.core.errors import ActionForbidden, InvalidInput
from heatline.registry.models import Role, Staff
from heatline.training.models import TRAINED_ROLES, Attendance, Topic, TrainingSession
from heatline.training.selectors import quarter_of

# Who records trainings: administrators, department heads (the hotline's and operations' heads) and
# branch managers. Company management reads, it does not write.
RECORDING_ROLES = frozenset({Role.ADMIN, Role.DEPT_HEAD, Role.BRANCH})


def may_record(staff: Staff) -> bool:
    return staff.is_active and (staff.is_superuser or staff.role in RECORDING_ROLES)


def _attendees(attendee_ids: Iterable[int]) -> list[Staff]:
    ids = sorted(set(attendee_ids))
    people = list(Staff.objects.filter(pk__in=ids, is_active=True))
    if len(people) != len(ids):
        raise InvalidInput(_("参训人员不存在或已停用"), field="attendees")
    outsiders = [person for person in people if person.role not in TRAINED_ROLES]
    if outsiders:
        raise InvalidInput(
            _("只登记话务员和运行人员的参训:%(names)s")
            % {"names": "、".join(p.display_name for p in outsiders)},
            field="attendees",
        )
    return people


@transaction.atomic
def session_record(
    *,
    held_on: dt.date,
    title: str,
    topics: Iterable[str],
    attendee_ids: Iterable[int],
    by: Staff,
    trainer_id: int | None = None,
    trainer_name: str = "",
    location: str = "",
    notes: str = "",
) -> TrainingSession:
    """第十条: record a training, its topics (分类, 流程, 沟通) and who attended."""
    if not may_record(by):
        raise ActionForbidden(_("您无权登记培训"))
    chosen = set(topics)
    if not chosen:
        raise InvalidInput(_("请至少选择一个培训内容"), field="topics")
    unknown = chosen - set(Topic.values)
    if unknown:
        raise InvalidInput(_("培训内容无效:%(t)s") % {"t": ", ".join(sorted(unknown))}, field="topics")
    if not title.strip():
        raise InvalidInput(_("请填写培训主题"), field="title")
    if held_on > timezone.localdate():
        raise InvalidInput(_("培训日期不能晚于今天"), field="held_on")
    trainer: Staff | None = None
    if trainer_id is not None:
        trainer = Staff.objects.filter(pk=trainer_id, is_active=True).first()
        if trainer is None:
            raise InvalidInput(_("培训人不存在"), field="trainer")
    elif not trainer_name.strip():
        raise InvalidInput(_("请填写培训人"), field="trainer")
    people = _attendees(attendee_ids)
    year, quarter = quarter_of(held_on)
    session = TrainingSession.objects.create(
        held_on=held_on,
        year=year,
        quarter=quarter,
        title=title.strip()[:100],
        covers_classification=Topic.CLASSIFICATION in chosen,
        covers_process=Topic.PROCESS in chosen,
        covers_communication=Topic.COMMUNICATION in chosen,
        trainer=trainer,
        trainer_name=trainer_name.strip()[:50],
        location=location.strip()[:100],
        notes=notes.strip(),
        recorded_by=by,
    )
    Attendance.objects.bulk_create([Attendance(session=session, staff=person) for person in people])
    audit_record(by=by, obj=session, action="training.record", extra={"attendees": [p.pk for p in people]})
    return session


@transaction.atomic
def attendance_add(*, session: TrainingSession, attendee_ids: Iterable[int], by: Staff) -> int:
    """Add latecomers to a recorded session (idempotent: someone recorded twice counts once)."""
    if not may_record(by):
        raise ActionForbidden(_("您无权登记培训"))
    people = _attendees(attendee_ids)
    existing = set(session.attendances.values_list("staff_id", flat=True))
    new = [Attendance(session=session, staff=p) for p in people if p.pk not in existing]
    Attendance.objects.bulk_create(new)
    if new:
        audit_record(by=by, obj=session, action="training.attend", extra={"added": [a.staff_id for a in new]})
    return len(new)
