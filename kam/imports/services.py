"""Importing a file: validate it whole, then write it in one transaction, or write nothing.

``import_file`` is the one entry point for the command line, the imports page and the API.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import actor_label_for, audit_record
from kam.imports.formats import FORMATS
from kam.imports.models import ImportBatch
from kam.imports.reader import NotATable, RaggedRows, TableSource, iter_batches, sniff
from kam.imports.sales import SalesWriter
from kam.imports.staging import Stage, is_postgres
from kam.imports.validate import ERROR_SCHEMA, HeaderMap, map_headers, validate_batch
from kam.imports.writers import (
    ClientsWriter,
    CreditDecisionsWriter,
    EmployeesWriter,
    PaymentsWriter,
    Writer,
)

WRITERS: dict[str, type[Writer]] = {
    "employees": EmployeesWriter,
    "clients": ClientsWriter,
    "sales": SalesWriter,
    "payments": PaymentsWriter,
    "credit_decisions": CreditDecisionsWriter,
}

# Serialises imports on PostgreSQL (SQLite's write transaction already does).
_ADVISORY_LOCK = 7_316_001


@dataclass
class ImportReport:
    """What an import found and did; ``errors`` lists every bad row (nothing was written)."""

    kind: str
    file_name: str
    file_format: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dry_run: bool = False
    batch_id: int | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file_name,
            "format": self.file_format,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "notices": self.notices,
            "dry_run": self.dry_run,
            "import_id": self.batch_id,
            "seconds": round(self.seconds, 3),
        }


class _Rollback(Exception):
    """Leaves the transaction without writing: a rejected file or a dry run."""


Progress = Callable[[int], None]


def import_file(
    *,
    kind: str,
    path: Path,
    user: AbstractBaseUser | AnonymousUser | None = None,
    dry_run: bool = False,
    file_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``path`` as a ``kind`` file and, if it is clean and not a dry run, import it."""
    if kind not in FORMATS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(FORMATS)}")
    started = time.perf_counter()
    started_at = timezone.now()
    report = ImportReport(kind=kind, file_name=file_name or path.name, dry_run=dry_run)
    try:
        source = sniff(path)
    except NotATable as exc:
        report.errors = [
            {
                "line": 1,
                "column": "",
                "value": "",
                "reason": _("not a CSV table or an XLSX workbook: %(why)s") % {"why": exc},
            }
        ]
        report.seconds = time.perf_counter() - started
        return report
    report.file_format = source.description
    fmt = FORMATS[kind]
    headers = map_headers(fmt, source.headers)
    report.notices += [
        _("column “%(name)s” is not used by %(kind)s files and was ignored")
        % {"name": h, "kind": kind}
        for h in headers.unknown
    ]
    header_errors = _header_errors(headers, source)
    if header_errors:
        report.errors = header_errors
        report.seconds = time.perf_counter() - started
        return report
    try:
        _run(report, source, headers, path, user, started_at, progress, exact=False)
    except RaggedRows:
        fresh = ImportReport(
            kind=kind,
            file_name=report.file_name,
            dry_run=dry_run,
            file_format=report.file_format,
            notices=report.notices,
        )
        report = fresh
        _run(report, source, headers, path, user, started_at, progress, exact=True)
    report.seconds = time.perf_counter() - started
    return report


def _header_errors(headers: HeaderMap, source: TableSource) -> list[dict[str, Any]]:
    errors = [
        {
            "line": source.header_line,
            "column": name,
            "value": "",
            "reason": _("required column is missing"),
        }
        for name in headers.missing
    ]
    errors += [
        {
            "line": source.header_line,
            "column": header,
            "value": header,
            "reason": _("a second column for “%(field)s”") % {"field": name},
        }
        for header, name in headers.duplicates
    ]
    return errors


def _run(
    report: ImportReport,
    source: TableSource,
    headers: HeaderMap,
    path: Path,
    user: AbstractBaseUser | AnonymousUser | None,
    started_at: Any,
    progress: Progress | None,
    *,
    exact: bool,
) -> None:
    fmt = FORMATS[report.kind]
    writer_class = WRITERS[report.kind]
    try:
        with transaction.atomic():
            if is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
                    # Grouping a million lines in 4 MB (the default) spills to disk.
                    cursor.execute("SET LOCAL work_mem = '256MB'")
            stage = Stage(fmt, list(headers.fields))
            writer: Writer = writer_class(headers, stage)
            for extra in writer.extra_stage_columns():
                stage.columns.append(extra)
                stage.names.append(extra.name)
            stage.create()
            error_frames: list[pl.DataFrame] = []
            for batch in iter_batches(source, exact=exact):
                typed, errors = validate_batch(fmt, headers, batch)
                typed, more = writer.prepare(typed)
                if more is not None and not more.is_empty():
                    errors = pl.concat([errors, more])
                report.rows += typed.height
                if not errors.is_empty():
                    error_frames.append(errors)
                # Rows with bad cells are kept too (bad cells are null), so one pass also
                # reports their repeated keys and missing references.
                writer.accept(typed, errors["line"] if not errors.is_empty() else None)
                if progress:
                    progress(batch.height)
            writer.finish_reading()
            error_frames += [e for e in writer.check() if not e.is_empty()]
            if error_frames:
                report.errors = _sorted_errors(error_frames, fmt.columns, headers)
                raise _Rollback
            counts = writer.count()
            report.created, report.updated, report.unchanged = (
                counts.created,
                counts.updated,
                counts.unchanged,
            )
            if report.dry_run:
                raise _Rollback
            now = timezone.now()
            batch_row = ImportBatch.objects.create(
                kind=report.kind,
                file_name=report.file_name,
                file_sha256=_sha256(path),
                file_size=path.stat().st_size,
                file_format=report.file_format,
                user=user if isinstance(user, User) else None,
                actor_label=actor_label_for(user),
                started_at=started_at,
                finished_at=now,
                rows=report.rows,
                created=counts.created,
                updated=counts.updated,
                unchanged=counts.unchanged,
            )
            writer.merge(batch_id=batch_row.pk, now=now)
            writer.after_merge(now=now)
            report.notices += writer.notices
            batch_row.notices = report.notices
            batch_row.finished_at = timezone.now()
            batch_row.save(update_fields=["notices", "finished_at"])
            report.batch_id = batch_row.pk
            stage.drop()
            audit_record(
                actor=user,
                action="import.completed",
                obj=batch_row,
                summary=f"{report.kind} {report.file_name}: {report.rows} rows, "
                f"{counts.created} created, {counts.updated} updated",
                data={
                    "rows": report.rows,
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                },
            )
    except _Rollback:
        pass
    finally:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            # Temporary tables outlive a rollback of their data on SQLite: tidy up.
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS kam_import_stage")
                cursor.execute("DROP TABLE IF EXISTS kam_import_affected")
                cursor.execute("DROP TABLE IF EXISTS kam_import_affected_docs")


def _sorted_errors(
    frames: list[pl.DataFrame], columns: Any, headers: HeaderMap
) -> list[dict[str, Any]]:
    order = {headers.header_of(c.name): i for i, c in enumerate(columns)}
    errors = pl.concat([f.cast(ERROR_SCHEMA) for f in frames], how="vertical").unique()  # type: ignore[arg-type]
    errors = (
        errors.with_columns(
            pl.col("column")
            .replace_strict(order, default=len(order), return_dtype=pl.Int64)
            .alias("_order")
        )
        .sort(["line", "_order", "reason"])
        .drop("_order")
    )
    return errors.to_dicts()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
