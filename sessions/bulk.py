"""Fast upsert of session events, the one table that grows with a report.

The ORM's bulk_create builds a model object and a parameter list per row and, on
SQLite, splits a batch into inserts of a few dozen rows; for reports with
hundreds of thousands of events that dominates the import. Events are therefore
written as plain tuples: on PostgreSQL through COPY into a temporary table and one
INSERT … ON CONFLICT, elsewhere with executemany of the same upsert.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from sessions.models import SessionEvent

TABLE = SessionEvent._meta.db_table
COLUMNS = (
    "session_id",
    "seq",
    "event_type",
    "timestamp",
    "performed_by_type",
    "performed_by_gsnumber",
    "performed_by",
    "destination_type",
    "destination_gsnumber",
    "destination",
    "body",
    "had_invalid_chars",
    "filename",
    "filesize",
    "data",
    "selected",
)
UPDATED = COLUMNS[2:]


def event_row(
    session_id: int,
    seq: int,
    event_type: str,
    timestamp: datetime | None,
    performed_by: tuple[str, str, str],
    destination: tuple[str, str, str],
    body: str,
    had_invalid_chars: bool,
    filename: str,
    filesize: int | None,
    data: dict[str, Any],
    selected: bool,
) -> tuple[Any, ...]:
    """Return one event as a tuple in COLUMNS order."""
    return (
        session_id,
        seq,
        event_type[:100],
        timestamp,
        performed_by[0][:40],
        performed_by[1][:20],
        performed_by[2][:200],
        destination[0][:40],
        destination[1][:20],
        destination[2][:200],
        body,
        had_invalid_chars,
        filename[:1024],
        filesize,
        json.dumps(data, ensure_ascii=False) if data else "{}",
        selected,
    )


def upsert_events(rows: Sequence[tuple[Any, ...]], fresh: bool = False) -> None:
    """Insert the events, replacing any with the same (session, seq).

    `fresh` says the session had no events before this import, so plain inserts
    cannot collide and the upsert's extra work is skipped.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        _copy(rows) if fresh else _copy_upsert(rows)
    else:
        _executemany_upsert(rows, fresh)


def _upsert_sql(source: str) -> str:
    columns = ", ".join(COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in UPDATED)
    return (
        f"INSERT INTO {TABLE} ({columns}) {source} "
        f"ON CONFLICT (session_id, seq) DO UPDATE SET {updates}"
    )


def _executemany_upsert(rows: Sequence[tuple[Any, ...]], fresh: bool = False) -> None:
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    adapt = connection.ops.adapt_datetimefield_value
    # Events share seconds; adapt each distinct time once.
    times: dict[Any, Any] = {}
    prepared = []
    for row in rows:
        when = row[3]
        if when not in times:
            times[when] = adapt(when)
        prepared.append((*row[:3], times[when], *row[4:]))
    values = f"VALUES ({placeholders})"
    sql = _insert_sql(values) if fresh else _upsert_sql(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def _insert_sql(source: str) -> str:
    return f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {source}"


def _copy(rows: Sequence[tuple[Any, ...]]) -> None:
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _copy_upsert(rows: Sequence[tuple[Any, ...]]) -> None:
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            # Names come from the model, never from input.
            f"CREATE TEMP TABLE IF NOT EXISTS event_staging AS "  # noqa: S608
            f"SELECT {columns} FROM {TABLE} WITH NO DATA"
        )
        raw = cursor.cursor
        with raw.copy(f"COPY event_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_upsert_sql(f"SELECT {columns} FROM event_staging"))  # noqa: S608
        cursor.execute("TRUNCATE event_staging")
