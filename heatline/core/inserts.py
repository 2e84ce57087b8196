"""A lean INSERT for the hottest write path (intake, issue 3): the rows of one model in one statement.

`QuerySet.bulk_create` compiles its statement anew on every call, which costs more than the database
does for the few rows an intake writes. `insert_rows` builds each model's statement once per process and
prepares the values exactly as the ORM would (`pre_save`, `get_db_prep_save`, related objects' keys), on
PostgreSQL and SQLite alike (both take `RETURNING`).
"""

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import AutoField, Field, Model


@cache
def _statement(model: type[Model], vendor: str) -> tuple[str, str, str, tuple[Field[Any, Any], ...], str]:
    """(INSERT … VALUES, one row's placeholders, RETURNING pk, the fields written, the pk's attribute)."""
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not isinstance(field, AutoField))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    assert meta.pk is not None
    returning = f" RETURNING {quote(str(meta.pk.column))}"
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ", row, returning, fields, meta.pk.attname


def insert_rows(rows: Sequence[Model]) -> None:
    """INSERT unsaved instances of one model in one statement and give each its primary key."""
    if not rows:
        return
    model = type(rows[0])
    head, row, returning, fields, pk_attname = _statement(model, connection.vendor)
    params: list[Any] = []
    for instance in rows:
        assert type(instance) is model and instance._state.adding
        instance._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]
        params.extend(field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields)
    sql = head + ", ".join([row] * len(rows)) + returning
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [key for (key,) in cursor.fetchall()]
    for instance, key in zip(rows, keys, strict=True):
        setattr(instance, pk_attname, key)
        instance._state.adding = False
        instance._state.db = connection.alias
