"""Personal-data retention (issue 18): once closed requests are older than the administrator's period
(规则参数 `personal_data_retention_days`), their callers' names and phone numbers are removed; every figure
(category, times, cause, outcome, satisfaction, clocks) stays, so the reports and the high-risk areas read
the same. `heatline anonymise --before DATE` does it by hand; the worker does it daily.

Other apps keep copies of a caller's details (the 12345 order as it came in, the SMS sent): they register
a hook that blanks them for the request ids given, so this module writes only to its own tables.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heatline.core.bulk import insert_rows, update_rows
from heatline.core.rules import rule_int
from heatline.outbox.services import outbox_anonymise
from heatline.registry.models import Staff
from heatline.requests.models import Action, Callback, RequestEvent, ServiceRequest, Status

# Hooks of other apps: (request ids) → rows they blanked. Registered in their AppConfig.ready().
ANONYMISE_HOOKS: list[Callable[[list[int]], int]] = []
BATCH = 5000


def _due(before: dt.datetime) -> "Q":
    """Closed before `before`, with a name or a phone still on it (so a rerun finds nothing)."""
    return Q(status__in=[Status.CLOSED, Status.RETURNED], closed_at__lt=before) & (
        ~Q(phone="") | ~Q(caller_name="")
    )


def anonymise_count(*, before: dt.datetime) -> int:
    return ServiceRequest.objects.filter(_due(before)).count()


PHONE_IN_TEXT: Final = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


def scrub(text: str, *, name: str = "", phone: str = "") -> str:
    """A request's free text without the numbers and the caller's name it may repeat (a mask of the same length)."""
    for known in (name.strip(), phone.strip()):
        if len(known) >= 2:
            text = text.replace(known, "*" * len(known))
    return PHONE_IN_TEXT.sub(lambda match: "*" * len(match.group(0)), text)


def _scrub_texts(ids: list[int]) -> None:
    """The operator often types the caller's number or name into the request text: mask them there too."""
    changed = []
    rows = ServiceRequest.objects.filter(pk__in=ids).values_list(
        "id", "caller_name", "phone", "content", "result"
    )
    for pk, name, phone, content, result in rows:
        new_content, new_result = (
            scrub(content, name=name, phone=phone),
            scrub(result, name=name, phone=phone),
        )
        if (new_content, new_result) != (content, result):
            changed.append((pk, new_content, new_result))
    update_rows(ServiceRequest, ("content", "result"), changed)


def requests_anonymise(*, before: dt.datetime, by: Staff | None = None, limit: int | None = None) -> int:
    """Remove callers' names and phones of requests closed before `before`, in batches, each request with an
    event of its own (the audit trail of the change). Returns how many requests were anonymised."""
    done = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        with transaction.atomic():
            ids = list(
                ServiceRequest.objects.filter(_due(before))
                .order_by("closed_at", "id")
                .values_list("id", flat=True)[:size]
            )
            if not ids:
                break
            now = timezone.now()
            _scrub_texts(ids)
            ServiceRequest.objects.filter(pk__in=ids).update(caller_name="", phone="", updated_at=now)
            Callback.objects.filter(service_request_id__in=ids).exclude(comment="").update(comment="")
            for hook in ANONYMISE_HOOKS:
                hook(ids)
            note = _("个人信息已按保存期限删除")
            insert_rows(
                RequestEvent,
                RequestEvent.INSERT_COLUMNS,
                [
                    (
                        pk,
                        now,
                        by.pk if by else None,
                        Action.NOTE,
                        "",
                        "",
                        note,
                        {"anonymised": True, "before": before.isoformat()},
                    )
                    for pk in ids
                ],
            )
        done += len(ids)
    return done


def personal_data_anonymise(*, before: dt.datetime, by: Staff | None = None) -> tuple[int, int]:
    """Requests and the messages sent before `before`: (requests, messages) anonymised."""
    requests = requests_anonymise(before=before, by=by)
    messages = outbox_anonymise(before=before)
    return requests, messages


def retention_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=rule_int("personal_data_retention_days"))
