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
from contextlib import nullcontext
from datetime import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
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

# Marks a statement to be prepared once per connection on PostgreSQL (heatline/core/pgcursor.py); a
# comment to any database.
PREPARED = "/* prepared */ "


def _is_plain(value: object, plain: type | None) -> bool:
    if plain is str:
        return isinstance(value, str)
    if plain is datetime:
        return type(value) is datetime and value.tzinfo is not None  # type: ignore[attr-defined]
    return type(value) is plain


_Specs = tuple[tuple[Field[Any, Any], str, type | None], ...]


def _link_to(model: type[Model], parent: type[Model]) -> ForeignKey[Any, Any] | None:
    """`model`'s foreign key to `parent` (None when it has none)."""
    links = [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, ForeignKey) and field.related_model is parent
    ]
    assert len(links) <= 1, f"{model.__name__} points at {parent.__name__} more than once"
    return links[0] if links else None


@cache
def _links(model: type[Model]) -> tuple[ForeignKey[Any, Any], ...]:
    """The foreign keys of `model` (insert_rows' models have no generic relations)."""
    assert not model._meta.private_fields, f"{model.__name__} has generic relations"
    return tuple(field for field in model._meta.concrete_fields if isinstance(field, ForeignKey))


@cache
def _statement(model: type[Model], vendor: str) -> tuple[str, str, str, _Specs, str]:
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


def _values(instance: Model, specs: _Specs, connection: BaseDatabaseWrapper, skip: str = "") -> list[Any]:
    """One row's prepared values, in the statement's column order (without the `skip` attribute)."""
    values: list[Any] = []
    for field, attname, plain in specs:
        if attname == skip:
            continue
        value = getattr(instance, attname) if plain is not None else _UNPREPARED
        if value is not None and not _is_plain(value, plain):
            value = field.get_db_prep_save(field.pre_save(instance, True), connection)
        values.append(value)
    return values


def _link_related(instance: Model, links: tuple[ForeignKey[Any, Any], ...], operation: str) -> None:
    """`Model._prepare_related_fields_for_save` for the given foreign keys only (it walks every field):
    refuse an unsaved related object, take the key of one saved since it was assigned."""
    for field in links:
        related = field.get_cached_value(instance, None)
        if related is None:
            continue
        if related.pk is None:
            raise ValueError(
                f"{operation}() prohibited to prevent data loss due to unsaved related object '{field.name}'."
            )
        if getattr(instance, field.attname) in field.empty_values:
            setattr(instance, field.attname, related.pk)
            field.set_cached_value(instance, related)  # (setting the key dropped it)
        if getattr(related, field.target_field.attname) != getattr(instance, field.attname):
            field.delete_cached_value(instance)


def _saved(rows: Sequence[Model], keys: Sequence[Any], pk_attname: str, alias: str) -> None:
    for instance, key in zip(rows, keys, strict=True):
        setattr(instance, pk_attname, key)
        instance._state.adding = False
        instance._state.db = alias


def insert_rows(rows: Sequence[Model]) -> None:
    """INSERT unsaved instances of one model in one statement and give each its primary key."""
    if not rows:
        return
    model = type(rows[0])
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, not the per-access proxy
    head, row, returning, specs, pk_attname = _statement(model, connection.vendor)
    params: list[Any] = []
    for instance in rows:
        assert type(instance) is model and instance._state.adding
        _link_related(instance, _links(model), "insert_rows")
        params += _values(instance, specs, connection)
    sql = head + ", ".join([row] * len(rows)) + returning
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [key for (key,) in cursor.fetchall()]
    _saved(rows, keys, pk_attname, connection.alias)


def insert_family(parent: Model, *groups: Sequence[Model]) -> None:
    """INSERT an unsaved `parent` and groups of unsaved rows (each group one model), some of which point at
    the parent, and give every row its primary key.

    On PostgreSQL this is one statement (data-modifying WITH): one round trip instead of one per model plus
    BEGIN and COMMIT, and atomic without a transaction of its own (within a caller's transaction, in a
    savepoint). A row's key to the parent is the parent's new key, taken in the statement. Elsewhere:
    `insert_rows` per model in one transaction.
    """
    groups = tuple(group for group in groups if group)
    links = [_link_to(type(group[0]), type(parent)) for group in groups]
    for group, link in zip(groups, links, strict=True):
        for instance in group:
            assert type(instance) is type(group[0]) and instance._state.adding
            if link is not None and link.get_cached_value(instance, None) is not parent:
                raise ValueError(
                    f"insert_family(): a {type(instance).__name__} row does not point at the parent"
                )
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        with transaction.atomic():
            insert_rows([parent])
            for group in groups:
                insert_rows(group)
        return
    head, row, returning, specs, pk_attname = _statement(type(parent), connection.vendor)
    assert parent._state.adding
    _link_related(parent, _links(type(parent)), "insert_family")
    params = _values(parent, specs, connection)
    parts = [f"p(k) AS ({head}{row}{returning})"]
    for number, (group, link) in enumerate(zip(groups, links, strict=True)):
        model = type(group[0])
        head, _row, returning, specs, _pk = _statement(model, connection.vendor)
        linked = link.attname if link else ""
        others = tuple(field for field in _links(model) if field is not link)
        row = "(" + ", ".join("(SELECT k FROM p)" if a == linked else "%s" for _f, a, _p in specs) + ")"
        for instance in group:
            _link_related(instance, others, "insert_family")
            params += _values(instance, specs, connection, skip=linked)
        parts.append(f"g{number}(k) AS ({head}{', '.join([row] * len(group))}{returning})")
    arrays = "".join(f", ARRAY(SELECT k FROM g{number} ORDER BY k)" for number in range(len(groups)))
    # Inside a caller's transaction, in a savepoint of its own (as `atomic` would): a failed write (a
    # concurrent push of the same order) leaves that transaction usable.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"{PREPARED}WITH " + ", ".join(parts) + f" SELECT (SELECT k FROM p){arrays}", params)
        parent_key, *group_keys = cursor.fetchone()
    _saved([parent], [parent_key], pk_attname, connection.alias)
    for group, keys, link in zip(groups, group_keys, links, strict=True):
        _saved(group, keys, type(group[0])._meta.pk.attname, connection.alias)  # type: ignore[union-attr]
        if link is not None:
            for instance in group:
                setattr(instance, link.attname, parent_key)
                link.set_cached_value(instance, parent)
