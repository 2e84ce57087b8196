"""API tokens: who a bearer token stands for, kept briefly in the process (every API call asks)."""

import copy
import time
from datetime import datetime

from django.utils import timezone

from heatline.registry.models import ApiToken, Staff

TOKEN_CACHE_SECONDS = 30.0
LAST_USED_EVERY_SECONDS = 300

# digest → (read at, token id, last used, its staff). Without it each API call reads its token and staff
# row (intake throughput, issue 3). A token or staff change saved in this process drops the cache at once
# (`tokens_forget`, connected in apps.py); other processes see a revoked token or a deactivated account
# within TOKEN_CACHE_SECONDS.
_tokens: dict[str, tuple[float, int, datetime | None, Staff]] = {}


def tokens_forget(**_kwargs: object) -> None:
    _tokens.clear()


def staff_for_token(token: str) -> Staff | None:
    """The active staff member of an active token, or None. Marks the token used (at most every 5 min)."""
    digest = ApiToken.digest_of(token)
    cached = _tokens.get(digest)
    if cached is None or time.time() - cached[0] > TOKEN_CACHE_SECONDS:
        row = ApiToken.objects.select_related("staff").filter(digest=digest, is_active=True).first()
        if row is None or not row.staff.is_active:
            _tokens.pop(digest, None)
            return None
        cached = (time.time(), row.pk, row.last_used_at, row.staff)
        _tokens[digest] = cached
    read_at, token_id, last_used_at, staff = cached
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        _tokens[digest] = (read_at, token_id, now, staff)
    return copy.copy(staff)  # each request its own instance: nothing loaded on it leaks to the next
