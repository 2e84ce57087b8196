"""The append-only audit trail for changes outside requests (which keep their own events)."""

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
