"""API tokens: who a bearer token stands for, kept briefly in the process (every API call asks)."""

import copy
from datetime import datetime

from django.utils import timezone

from heatline.core.caches import ProcessCache
from heatline.registry.models import ApiToken, Staff

TOKEN_CACHE_SECONDS = 30.0
LAST_USED_EVERY_SECONDS = 300

# digest → (token id, last used, its staff). Without it each API call reads its token and staff row
# (intake throughput, issue 3). Dropped on ApiToken and Staff saves (apps.py); other processes see a revoked
# token or a deactivated account within TOKEN_CACHE_SECONDS.
TOKENS: ProcessCache[dict[str, tuple[int, datetime | None, Staff]]] = ProcessCache(
    "tokens", dict, seconds=TOKEN_CACHE_SECONDS
)


def staff_for_token(token: str) -> Staff | None:
    """The active staff member of an active token, or None. Marks the token used (at most every 5 min)."""
    digest = ApiToken.digest_of(token)
    tokens = TOKENS.get()
    cached = tokens.get(digest)
    if cached is None:
        row = ApiToken.objects.select_related("staff").filter(digest=digest, is_active=True).first()
        if row is None or not row.staff.is_active:
            return None
        cached = tokens[digest] = (row.pk, row.last_used_at, row.staff)
    token_id, last_used_at, staff = cached
    now = timezone.now()
    if last_used_at is None or (now - last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        tokens[digest] = (token_id, now, staff)
    return copy.copy(staff)  # each request its own instance: nothing loaded on it leaks to the next
