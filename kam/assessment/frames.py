"""Reading the frames an assessment needs from the database, fast.

Large reads go through connectorx (Arrow, several queries in parallel; for SQLite in a child
process, see kam.assessment.reader), which opens its own connection and so sees only
committed data; inside a transaction (a test, or a caller that
wrote something first) the same SQL runs on Django's connection instead. Both return the same
frames (a test checks).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl
from django.db import connection

from kam.assessment.metrics import (
    CLIENT_SCHEMA,
    DOCUMENT_SCHEMA,
    PAYMENT_SCHEMA,
    PRIOR_SCHEMA,
    ROLLUP_SCHEMA,
    Window,
)
from kam.clients.profile import CHECKLIST_SIZE, PROFILE_FACTS


def real(column: str, *, nullable: bool = False) -> str:
    """SQL for a number column as a float (money is decimal in the tables).

    connectorx guesses a SQLite column's type from its first row and fails on a NULL there,
    so on SQLite a nullable column comes as +infinity, turned back into null on reading.
    """
    if connection.vendor == "postgresql":
        return f"CAST({column} AS DOUBLE PRECISION)"
    return f"COALESCE(CAST({column} AS REAL), 9e999)" if nullable else f"CAST({column} AS REAL)"


def nullable_id(column: str) -> str:
    """SQL for a nullable id column (null comes as -1 on SQLite, see ``real``)."""
    return column if connection.vendor == "postgresql" else f"COALESCE({column}, -1)"


def _restore_nulls(frame: pl.DataFrame) -> pl.DataFrame:
    """Undo the SQLite stand-ins for null: +infinity in floats, negative ids."""
    return frame.with_columns(
        [
            pl.when(pl.col(name).is_infinite()).then(None).otherwise(pl.col(name)).alias(name)
            for name, dtype in frame.schema.items()
            if dtype == pl.Float64
        ]
        + [
            pl.when(pl.col(name) < 0).then(None).otherwise(pl.col(name)).alias(name)
            for name, dtype in frame.schema.items()
            if dtype == pl.Int64 and name.endswith("_id")
        ]
    )


def _connectorx_url() -> str | None:
    """The connectorx URL of Django's database, or None if it cannot see the data."""
    settings = connection.settings_dict
    if connection.in_atomic_block:
        return None
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            return None
        return f"sqlite://{quote(name)}"
    if connection.vendor == "postgresql":
        user = quote(settings.get("USER") or "")
        password = settings.get("PASSWORD") or ""
        auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "localhost"
        port = settings.get("PORT") or 5432
        return f"postgresql://{auth}{host}:{port}/{quote(settings['NAME'])}?cxprotocol=binary"
    return None


class _Reader:
    """One reader process (``kam.assessment.reader --serve``) kept for a block of reads. Jobs
    are answered in the order they were sent: a job can be sent before the answer to the
    previous one is read (``submit``, then ``wait``)."""

    def __init__(self) -> None:
        # The child's stderr, read if it fails; closed with the reader.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kam.assessment.reader", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
        )
        self._sent = 0
        self._answers: list[str] = []
        self._folders: list[str] = []

    def submit(self, job: dict[str, Any]) -> int:
        """Send a job; its ticket for ``wait``. Its output folder goes with the reader."""
        assert self.process.stdin is not None
        self._folders.append(str(job["out"]))
        try:
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # the child is gone: ``wait`` says why
        self._sent += 1
        return self._sent - 1

    def wait(self, ticket: int) -> None:
        """Wait until the job of ``ticket`` is done (raise if it failed)."""
        assert self.process.stdout is not None
        while len(self._answers) <= ticket:
            self._answers.append(self.process.stdout.readline().strip())
        answer = self._answers[ticket]
        if answer != "ok":
            self._errors.seek(0)
            stderr = self._errors.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"reading the database failed: {answer or 'no answer'} {stderr}")

    def close(self) -> None:
        if len(self._answers) < self._sent:
            self.process.kill()  # a read nobody waits for any more
        if self.process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._errors.close()
        for folder in self._folders:  # a job nobody waited for (a read started in vain)
            shutil.rmtree(folder, ignore_errors=True)


_SESSION: ContextVar[list[_Reader] | None] = ContextVar("kam_reader_session", default=None)


@contextlib.contextmanager
def reader_session(*, start: bool = False) -> Iterator[None]:
    """Within the block, SQLite reads through connectorx share one reader process instead
    of starting one each (Python and the libraries start in about a second). ``start``:
    start it now, so that it gets ready while the caller does other work; otherwise on the
    first read. A block inside another uses the outer one's process."""
    if _SESSION.get() is not None:
        yield
        return
    readers: list[_Reader] = []
    token = _SESSION.set(readers)
    try:
        if start and connection.vendor == "sqlite" and _connectorx_url() is not None:
            readers.append(_Reader())
        yield
    finally:
        _SESSION.reset(token)
        for reader in readers:
            reader.close()


def _read_sqlite_elsewhere(
    url: str, queries: dict[str, tuple[str, list[Any], dict[str, Any]]]
) -> Callable[[], dict[str, pl.DataFrame]]:
    """connectorx in a child process (see kam.assessment.reader: two SQLite libraries must
    not open one file in one process): started now, the frames when the returned function is
    called. Without a reader session, a process is started for these queries alone."""
    folder = tempfile.mkdtemp(prefix="kam-frames-")
    job = {
        "url": url,
        "out": folder,
        "queries": {name: inline(sql, params) for name, (sql, params, _s) in queries.items()},
    }
    session = _SESSION.get()
    if session is not None:
        if not session:
            session.append(_Reader())
        reader = session[0]
        ticket = reader.submit(job)

        def done() -> None:
            reader.wait(ticket)

    else:
        process = subprocess.Popen(
            [sys.executable, "-m", "kam.assessment.reader"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None and process.stderr is not None
        process.stdin.write(json.dumps(job))
        process.stdin.close()

        def done() -> None:
            assert process.stderr is not None
            errors = process.stderr.read()
            process.stderr.close()
            if process.wait() != 0:
                raise RuntimeError(f"reading the database failed: {errors[-2000:]}")

    def frames() -> dict[str, pl.DataFrame]:
        try:
            done()
            return {name: pl.read_ipc(Path(folder) / f"{name}.arrow") for name in queries}
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return frames


def inline(sql: str, params: list[Any]) -> str:
    """Put dates and numbers into the SQL (connectorx takes no parameters); only values made
    here, never user text."""
    for value in params:
        if isinstance(value, dt.date):
            literal = f"'{value.isoformat()}'"
        elif isinstance(value, int | float):
            literal = repr(value)
        else:
            raise TypeError(f"cannot inline {type(value).__name__}")
        sql = sql.replace("%s", literal, 1)
    return sql


def read_frames(
    queries: dict[str, tuple[str, list[Any], dict[str, Any]]], *, direct: bool = False
) -> dict[str, pl.DataFrame]:
    """Run named (sql, params, schema) queries; frames with exactly those columns and types.

    ``direct``: on Django's own connection (small reads, where starting connectorx would cost
    more than the read)."""
    return read_frames_later(queries, direct=direct)()


def read_frames_later(
    queries: dict[str, tuple[str, list[Any], dict[str, Any]]], *, direct: bool = False
) -> Callable[[], dict[str, pl.DataFrame]]:
    """``read_frames``, started now where it can run meanwhile (SQLite through connectorx:
    in the reader process); the returned function gives the frames."""
    url = None if direct else _connectorx_url()
    if url is not None and connection.vendor == "sqlite":
        pending = _read_sqlite_elsewhere(url, queries)
        return lambda: _shaped(queries, pending())
    return lambda: _shaped(queries, _read_here(url, queries))


def _read_here(
    url: str | None, queries: dict[str, tuple[str, list[Any], dict[str, Any]]]
) -> dict[str, pl.DataFrame]:
    if url is not None:
        import connectorx as cx

        def run(item: tuple[str, tuple[str, list[Any], dict[str, Any]]]) -> tuple[str, Any]:
            name, (sql, params, _schema) = item
            return name, cx.read_sql(url, inline(sql, params), return_type="polars")

        with ThreadPoolExecutor(max_workers=len(queries)) as pool:
            return dict(pool.map(run, queries.items()))
    raw = {}
    for name, (sql, params, schema) in queries.items():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        raw[name] = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return raw


def _shaped(
    queries: dict[str, tuple[str, list[Any], dict[str, Any]]], raw: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    frames = {}
    for name, (_sql, _params, schema) in queries.items():
        frame = raw[name]
        if frame.width != len(schema):  # connectorx names columns as the SQL does
            raise RuntimeError(f"{name}: unexpected columns {frame.columns}")
        frame = _restore_nulls(frame.rename(dict(zip(frame.columns, schema, strict=True))))
        frames[name] = frame.select(
            [
                # SQLite hands dates over as text to Django's cursor.
                pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d")
                if dtype == pl.Date and frame.schema[column] == pl.String
                else pl.col(column).cast(dtype)
                for column, dtype in schema.items()
            ]
        )
    return frames


Query = tuple[str, list[Any], dict[str, Any]]


def assessment_frames(window: Window) -> dict[str, pl.DataFrame]:
    """clients, rollup, documents, payments and prior (see kam.assessment.metrics)."""
    return read_frames(assessment_queries(window))


def assessment_queries(window: Window) -> dict[str, Query]:
    """The SQL (with parameters and the frame schema) of each frame an assessment reads."""
    start, end = window.start_24m, window.period_end
    text_facts = {"tax_id", "industry", "region"}
    filled = " + ".join(
        f"(CASE WHEN c.{name} IS NULL OR c.{name} = '' THEN 0 ELSE 1 END)"
        if name in text_facts
        else f"(CASE WHEN c.{name} IS NULL THEN 0 ELSE 1 END)"
        for name, _label in PROFILE_FACTS
    )
    # Every column is named: connectorx takes the names the SQL gives.
    clients_sql = f"""
        SELECT c.id AS client_id, c.status AS status, {nullable_id("c.group_id")} AS group_id,
               {real("c.purchase_potential", nullable=True)} AS purchase_potential,
               {real("c.annual_revenue", nullable=True)} AS annual_revenue,
               {real("c.employees", nullable=True)} AS employees,
               COALESCE(dm.n, 0) AS decision_makers,
               ({filled} + (CASE WHEN dm.n > 0 THEN 1 ELSE 0 END)) * 1.0 / {CHECKLIST_SIZE}
               AS profile_completeness
        FROM clients_client c
        LEFT JOIN (SELECT client_id, COUNT(*) AS n FROM clients_contact
                   WHERE is_decision_maker GROUP BY client_id) dm ON dm.client_id = c.id
        ORDER BY c.id"""
    not_indexed = "NOT INDEXED" if connection.vendor == "sqlite" else ""
    rollup_sql = f"""
        SELECT client_id, month, product_group, {real("revenue")} AS revenue,
               {real("margin", nullable=True)} AS margin
        FROM ledger_monthlyrollup {not_indexed} WHERE month >= %s AND month <= %s"""
    documents_sql = f"""
        SELECT client_id, date, due_date, {real("amount")} AS amount FROM ledger_salesdocument
        WHERE date >= %s AND date <= %s ORDER BY client_id, date"""
    payments_sql = f"""
        SELECT client_id, date, {real("amount")} AS amount FROM ledger_payment
        WHERE date >= %s AND date <= %s ORDER BY client_id, date"""
    prior_sql = f"""
        SELECT client_id, SUM(invoiced) AS invoiced, SUM(paid) AS paid FROM (
            SELECT client_id, {real("amount")} AS invoiced, 0.0 AS paid
            FROM ledger_salesdocument WHERE date < %s
            UNION ALL
            SELECT client_id, 0.0 AS invoiced, {real("amount")} AS paid
            FROM ledger_payment WHERE date < %s
        ) money GROUP BY client_id"""
    return {
        "clients": (clients_sql, [], CLIENT_SCHEMA),
        "rollup": (rollup_sql, [start, end], ROLLUP_SCHEMA),
        "documents": (documents_sql, [start, end], DOCUMENT_SCHEMA),
        "payments": (payments_sql, [start, end], PAYMENT_SCHEMA),
        "prior": (prior_sql, [start, start], PRIOR_SCHEMA),
    }
