"""A staging table per import: validated rows land here, set-level checks and the merge into
the real tables are single SQL statements (SQLite and PostgreSQL alike).

The whole import runs in one transaction; a rejected file or a dry run rolls it back, so the
database is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection

from kam.imports.formats import Column, FileFormat

STAGE = "kam_import_stage"
COPY_SLICE_ROWS = 200_000

_PG_TYPES = {
    "code": "text",
    "text": "text",
    "email": "text",
    "choice": "text",
    "int": "bigint",
    "money": "numeric(18, 2)",
    "quantity": "numeric(18, 3)",
    "date": "date",
}
_SQLITE_TYPES = {
    "code": "TEXT",
    "text": "TEXT",
    "email": "TEXT",
    "choice": "TEXT",
    "int": "INTEGER",
    "money": "REAL",
    "quantity": "REAL",
    "date": "TEXT",
}


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def date_plus_days(date_sql: str, days_sql: str) -> str:
    """SQL for a date plus a number of days, in the current database's dialect."""
    if is_postgres():
        return f"({date_sql} + ({days_sql})::integer)"
    return f"date({date_sql}, '+' || ({days_sql}) || ' days')"


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def fetch_errors(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """Run a check query returning (line, column, value, reason) rows."""
    rows = fetch(sql, params)
    return pl.DataFrame(
        [(int(r[0]), str(r[1]), None if r[2] is None else str(r[2]), str(r[3])) for r in rows],
        schema={"line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String},
        orient="row",
    )


def bulk_insert(table: str, frame: pl.DataFrame) -> None:
    """Append a frame's rows to ``table`` (columns named as the frame's), in the current
    transaction: COPY on PostgreSQL, executemany on SQLite."""
    if frame.is_empty():
        return
    columns = ", ".join(frame.columns)
    if is_postgres():
        sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            # In slices, so ten million lines never become one gigabyte-long string.
            for part in frame.iter_slices(COPY_SLICE_ROWS):
                data = part.write_csv(include_header=False, date_format="%Y-%m-%d", null_value="")
                copy.write(data.encode("utf-8"))
        return
    frame = frame.with_columns(
        [
            pl.col(name).dt.to_string("%Y-%m-%d")
            for name, dtype in frame.schema.items()
            if dtype == pl.Date
        ]
    )
    placeholders = ", ".join("?" * frame.width)
    raw = connection.connection
    assert raw is not None
    raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", frame.iter_rows())


class Stage:
    """The temporary table holding one file's validated rows."""

    def __init__(self, fmt: FileFormat, present: Sequence[str], extra: Sequence[Column] = ()):
        self.fmt = fmt
        self.columns: list[Column] = [c for c in fmt.columns if c.name in present] + list(extra)
        self.names = [c.name for c in self.columns]

    def create(self) -> None:
        types = _PG_TYPES if is_postgres() else _SQLITE_TYPES
        columns = ", ".join(f"{c.name} {types[c.type]}" for c in self.columns)
        execute(f"DROP TABLE IF EXISTS {STAGE}")
        if is_postgres():
            execute(
                f"CREATE TEMP TABLE {STAGE} (_line bigint PRIMARY KEY, _bad integer, "
                f"{columns}) ON COMMIT DROP"
            )
        else:
            execute(
                f"CREATE TEMP TABLE {STAGE} (_line INTEGER PRIMARY KEY, _bad INTEGER, {columns})"
            )

    def add_column(self, column: Column) -> None:
        types = _PG_TYPES if is_postgres() else _SQLITE_TYPES
        execute(f"ALTER TABLE {STAGE} ADD COLUMN {column.name} {types[column.type]}")
        self.columns.append(column)
        self.names.append(column.name)

    def index(self, *columns: str) -> None:
        name = f"{STAGE}_{'_'.join(columns)}"
        execute(f"CREATE INDEX {name} ON {STAGE} ({', '.join(columns)})")

    def insert(self, frame: pl.DataFrame, bad_lines: pl.Series | None = None) -> None:
        """Append rows (``_line`` and this stage's columns); ``bad_lines`` had cell errors."""
        if frame.is_empty():
            return
        bad = pl.col("_line").is_in(bad_lines.implode()) if bad_lines is not None else pl.lit(False)
        bulk_insert(STAGE, frame.select("_line", bad.cast(pl.Int64).alias("_bad"), *self.names))

    def analyze(self) -> None:
        execute(f"ANALYZE {STAGE}")

    def drop(self) -> None:
        execute(f"DROP TABLE IF EXISTS {STAGE}")


def duplicate_key_errors(
    stage: Stage, key: Sequence[str], header: str, reason: str
) -> pl.DataFrame:
    """Rows whose natural key already appeared earlier in the file (the first one is kept)."""
    keys = ", ".join(key)
    shown = " || '/' || ".join(f"CAST({k} AS TEXT)" for k in key) if len(key) > 1 else key[0]
    return fetch_errors(
        f"""
        SELECT _line, %s, {shown}, %s || CAST(first_line AS TEXT) FROM (
            SELECT _line, {keys},
                   MIN(_line) OVER (PARTITION BY {keys}) AS first_line,
                   COUNT(*) OVER (PARTITION BY {keys}) AS n
            FROM {STAGE} WHERE {" AND ".join(f"{k} IS NOT NULL" for k in key)}
        ) x WHERE n > 1 AND _line > first_line
        """,
        [header, reason],
    )


def missing_reference_errors(
    stage_column: str,
    header: str,
    target_table: str,
    target_column: str,
    reason: str,
    also_in_stage: str | None = None,
) -> pl.DataFrame:
    """Rows whose reference points to nothing (in the database, or earlier in this file)."""
    in_stage = ""
    if also_in_stage:
        in_stage = (
            f"AND NOT EXISTS (SELECT 1 FROM {STAGE} s2 WHERE s2.{also_in_stage} = s.{stage_column})"
        )
    return fetch_errors(
        f"""
        SELECT s._line, %s, s.{stage_column}, %s FROM {STAGE} s
        WHERE s.{stage_column} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {target_table} t WHERE t.{target_column} = s.{stage_column})
          {in_stage}
        """,
        [header, reason],
    )
