"""PostgreSQL: prepare the statements that ask for it, and only those.

A prepared statement skips parsing on every later run, and PostgreSQL may then run it on a plan made once
for any value. That suits the intake's few statements (keys and unique columns: issue 3's throughput) and
would hurt others: a plan made without the value reads every household for an account-number prefix
(LIKE 'x%' needs the value to use its index). So nothing is prepared unless its SQL starts with `PREPARED`.
"""

from typing import Any

from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

from heatline.core.inserts import PREPARED


class PreparingCursor(ServerBindingCursor):  # type: ignore[misc]
    """Django's cursor with server-side parameters; a statement starting with `PREPARED` is prepared on its
    first run in a connection (psycopg keeps up to 100 per connection)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        if prepare is None and isinstance(query, str) and query.startswith(PREPARED):
            prepare = True
        return super().execute(query, params, prepare=prepare, binary=binary)  # type: ignore[misc]
