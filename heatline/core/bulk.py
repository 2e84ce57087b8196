"""Fast inserts of many rows: PostgreSQL's COPY (optionally through a staging table that skips duplicates),
`bulk_create` elsewhere. Used by the imports (register, ledger) and the watch-list build (100,000s of rows)."""

import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone


class RawJSON(str):
    """JSON text already encoded (by the database): `insert_rows` writes it as it is on PostgreSQL."""


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert plain rows (values in the order of `columns`, field attnames); created/updated stamps are added,
    and every other field with a default gets it (COPY applies none). Primary keys are left to the database;
    nothing is returned."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    stamps = [
        f
        for f in meta.concrete_fields
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add) and f.attname not in columns
    ]
    now = timezone.now()
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            (model(**dict(zip(columns, [_decoded(v) for v in row], strict=True))) for row in rows),
            batch_size=2000,
            ignore_conflicts=ignore_conflicts,
        )
        return
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    defaulted = [
        f
        for f in meta.concrete_fields
        if f.attname not in columns
        and f not in stamps
        and not f.primary_key
        and f.db_default is models.NOT_PROVIDED  # the database fills those itself
        and (f.has_default() or (f.empty_strings_allowed and not f.null))  # a text column's default is ""
    ]
    defaults = [
        json.dumps(f.get_default()) if isinstance(f, models.JSONField) else f.get_default() for f in defaulted
    ]
    names = (
        [str(f.column) for f in fields if isinstance(f, models.Field)]
        + [str(f.column) for f in stamps]
        + [str(f.column) for f in defaulted]
    )
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        target = table
        if ignore_conflicts:
            target = "proactive_staging"
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(
                f"CREATE TEMP TABLE {target} ON COMMIT DROP AS SELECT {quoted} FROM {table} WITH NO DATA"
            )
        extra = [now] * len(stamps) + defaults
        encoded: dict[Any, str] = {}  # the same small lists (causes) recur across 100,000s of rows
        with cursor.cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = list(row)
                for index in json_at:
                    value = values[index]
                    if isinstance(value, RawJSON):
                        continue
                    if isinstance(value, list) and all(isinstance(item, str) for item in value):
                        key = tuple(value)
                        if key not in encoded:
                            encoded[key] = json.dumps(value, ensure_ascii=False)
                        values[index] = encoded[key]
                    else:
                        values[index] = json.dumps(value, ensure_ascii=False)
                copy.write_row(values + extra)
        if ignore_conflicts:
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {target} ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {target}")


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, RawJSON) else value


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Update many rows by primary key: each row is (pk, *values of `columns`, field attnames, no JSON);
    `updated_at` (auto_now) is stamped. PostgreSQL: COPY into a staging table and one UPDATE … FROM
    (`bulk_update` builds a CASE per column and row, minutes for 100,000 rows); elsewhere `bulk_update`."""
    if not rows:
        return
    meta = model._meta
    now = timezone.now()
    stamps = [
        f.attname
        for f in meta.concrete_fields
        if isinstance(f, models.DateTimeField) and f.auto_now and f.attname not in columns
    ]
    if connection.vendor != "postgresql":
        objects = []
        for pk, *values in rows:
            instance = model(pk=pk, **dict(zip(columns, values, strict=True)))
            for stamp in stamps:
                setattr(instance, stamp, now)
            objects.append(instance)
        model._default_manager.bulk_update(objects, [*columns, *stamps], batch_size=2000)
        return
    quote = connection.ops.quote_name
    column_of = {f.attname: str(f.column) for f in meta.concrete_fields}
    names = [column_of[meta.pk.attname], *(column_of[name] for name in columns)]
    quoted = ", ".join(quote(name) for name in names)
    table = quote(meta.db_table)
    sets = ", ".join(f"{quote(name)} = s.{quote(name)}" for name in names[1:])
    sets += "".join(f", {quote(column_of[stamp])} = %s" for stamp in stamps)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS core_update_staging")
        cursor.execute(
            f"CREATE TEMP TABLE core_update_staging ON COMMIT DROP AS SELECT {quoted} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY core_update_staging ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} t SET {sets} FROM core_update_staging s WHERE t.{quote(names[0])} = s.{quote(names[0])}",
            [now] * len(stamps),
        )
        cursor.execute("DROP TABLE core_update_staging")
