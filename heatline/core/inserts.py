"""A lean INSERT for the hottest write path (intake, issue 3): the rows of one model in one statement.

`QuerySet.bulk_create` compiles its statement anew on every call, which costs more than the database
does for the few rows an intake writes. `insert_rows` builds each model's statement once per process and
prepares the values exactly as the ORM would (`pre_save`, `get_db_prep_save`, related objects' keys), on
PostgreSQL and SQLite alike (both take `RETURNING`).

Most of an intake's values are plain: a `str` for a text column, an `int` for a key, a `bool`, an aware
`datetime` on PostgreSQL. For those the ORM's preparation returns the value itself, so it is passed as
it is; anything else (JSON, decimals, dates on SQLite, a value of another type) goes through the ORM.
"""

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    AutoField,
    BigAutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SmallAutoField,
    SmallIntegerField,
    TextField,
)

# Field classes whose `get_db_prep_save` hands back a value of this type unchanged (exact classes only:
# a subclass may prepare differently). `str` is tested with isinstance (a TextChoices member is a str the
# ORM passes on as it is); int and bool exactly (IntegerField turns True into 1).
_PLAIN: dict[type[Field[Any, Any]], type] = {
    AutoField: int,
    BigAutoField: int,
    SmallAutoField: int,
    CharField: str,
    TextField: str,
    IntegerField: int,
    BigIntegerField: int,
    SmallIntegerField: int,
    PositiveIntegerField: int,
    PositiveSmallIntegerField: int,
    BooleanField: bool,
}


def _plain_type(field: Field[Any, Any], vendor: str) -> type | None:
    """The type of value `field` passes to the database unchanged, or None (always prepare)."""
    if type(field) is ForeignKey:  # the key's value, prepared as the target's
        field = field.target_field
    if type(field) is DateTimeField:
        # PostgreSQL's adapt_datetimefield_value returns an aware datetime as it is; SQLite formats it.
        plain = vendor == "postgresql" and not (field.auto_now or field.auto_now_add)
        return datetime if plain else None
    return _PLAIN.get(type(field))


_UNPREPARED = object()


def _is_plain(value: object, plain: type | None) -> bool:
    if plain is str:
        return isinstance(value, str)
    if plain is datetime:
        return type(value) is datetime and value.tzinfo is not None  # type: ignore[attr-defined]
    return type(value) is plain


@cache
def _statement(
    model: type[Model], vendor: str
) -> tuple[str, str, str, tuple[tuple[Field[Any, Any], str, type | None], ...], str]:
    """(INSERT … VALUES, one row's placeholders, RETURNING pk, (field, attname, plain type) of each field
    written, the pk's attribute)."""
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not isinstance(field, AutoField))
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    assert meta.pk is not None
    returning = f" RETURNING {quote(str(meta.pk.column))}"
    specs = tuple((field, field.attname, _plain_type(field, vendor)) for field in fields)
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ", row, returning, specs, meta.pk.attname


def insert_rows(rows: Sequence[Model]) -> None:
    """INSERT unsaved instances of one model in one statement and give each its primary key."""
    if not rows:
        return
    model = type(rows[0])
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-access proxy
    head, row, returning, specs, pk_attname = _statement(model, connection.vendor)
    params: list[Any] = []
    append = params.append
    for instance in rows:
        assert type(instance) is model and instance._state.adding
        instance._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]
        for field, attname, plain in specs:
            value = getattr(instance, attname) if plain is not None else _UNPREPARED
            if value is not None and not _is_plain(value, plain):
                value = field.get_db_prep_save(field.pre_save(instance, True), connection)
            append(value)
    sql = head + ", ".join([row] * len(rows)) + returning
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [key for (key,) in cursor.fetchall()]
    for instance, key in zip(rows, keys, strict=True):
        setattr(instance, pk_attname, key)
        instance._state.adding = False
        instance._state.db = connection.alias
