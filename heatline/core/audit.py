"""The append-only audit trail for changes outside requests (which keep their own events)."""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from django.utils import timezone

from heatline.core.models import AuditEvent


def audit_record(
    *, by: Any, obj: models.Model, action: str, note: str = "", extra: dict[str, Any] | None = None
) -> AuditEvent:
    actor = by if getattr(by, "pk", None) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        action=action,
        note=note,
        extra=extra or {},
    )


def audit_record_bulk(
    *,
    by: Any,
    action: str,
    objects: Iterable[models.Model],
    at: dt.datetime | None = None,
    note: Callable[[Any], str] | None = None,
    extra: Callable[[Any], dict[str, Any]] | None = None,
) -> int:
    """One audit event per object in one INSERT (a batch job's rows); `note` and `extra` per object."""
    actor = by if getattr(by, "pk", None) else None
    when = at or timezone.now()
    events = [
        AuditEvent(
            at=when,
            actor=actor,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            action=action,
            note=note(obj) if note else "",
            extra=extra(obj) if extra else {},
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def audit_record_of(
    *, by: Any, object_type: str, object_id: str, action: str, extra: dict[str, Any] | None = None
) -> AuditEvent:
    """An audit event about something that is not one row (a daily run, a batch)."""
    actor = by if getattr(by, "pk", None) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        action=action,
        extra=extra or {},
    )
