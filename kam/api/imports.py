"""GET /api/imports (history) and POST /api/imports (upload a file, get the report)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, P, Query, QueryEx, Router, Status, UploadedFile

from kam.api.auth import request_user
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ImportBatchListOut,
    ImportFilters,
    ImportReportOut,
    ValidationErrorOut,
)
from kam.imports.models import ImportBatch, ImportKind
from kam.imports.services import import_file
from kam.web import access

router = Router(tags=["imports"])

# A rejected million-line file would otherwise answer with a million errors.
SHOWN_ERRORS = 1000


@router.get(
    "",
    response={200: ImportBatchListOut, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    operation_id="import_list",
    summary="Completed imports, newest first",
    description="For importers (director, analyst) and the auditor.",
)
def import_list_endpoint(
    request: HttpRequest,
    filters: Query[ImportFilters],
    limit: QueryEx[int, P(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: QueryEx[int, P(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    if not access.can_view_imports(request_user(request)):
        raise PermissionDenied(_("Only importers and the auditor see the imports."))
    batches = ImportBatch.objects.order_by("-started_at", "-id")
    if filters.kind:
        batches = batches.filter(kind=filters.kind)
    return {
        "count": batches.count(),
        "items": [
            {
                "id": b.pk,
                "kind": b.kind,
                "file_name": b.file_name,
                "file_format": b.file_format,
                "file_size": b.file_size,
                "file_sha256": b.file_sha256,
                "imported_by": b.actor_label,
                "started_at": b.started_at,
                "finished_at": b.finished_at,
                "rows": b.rows,
                "created": b.created,
                "updated": b.updated,
                "unchanged": b.unchanged,
                "notices": [str(n) for n in b.notices or []],
            }
            for b in batches[offset : offset + limit]
        ],
    }


def _clean_file_name(name: str | None) -> str:
    """The upload's name as a user would recognise it, safe to store (no control characters)."""
    printable = "".join(ch for ch in (name or "") if ch.isprintable()).strip()
    return printable[-255:] or "upload"


@router.post(
    "",
    response={
        200: ImportReportOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ImportReportOut | ValidationErrorOut,
    },
    operation_id="import_upload",
    summary="Import a CSV or XLSX file",
    description=(
        "The file is validated whole. 200: it was imported (or, with dry_run, would be). "
        "422 with the report: it was rejected, every bad row listed, nothing written. "
        "422 with a list in `detail`: the request itself is malformed."
    ),
)
def import_upload_endpoint(
    request: HttpRequest,
    kind: Form[ImportKind],
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
) -> Status[dict[str, Any]]:
    user = request_user(request)
    if not access.can_import(user):
        raise PermissionDenied(_("Only the director and the analyst import files."))
    file_name = _clean_file_name(file.name)
    with tempfile.TemporaryDirectory(dir=_upload_dir()) as folder:
        path = _save(file, Path(folder))
        report = import_file(
            kind=str(kind), path=path, user=user, dry_run=dry_run, file_name=file_name
        )
    body = report.as_json()
    body["errors_total"] = len(report.errors)
    body["errors"] = report.errors[:SHOWN_ERRORS]
    return Status(200 if report.ok else 422, body)


def _save(upload: UploadedFile, folder: Path) -> Path:
    """Write the upload to ``folder``, named by its content: openpyxl insists on ``.xlsx``."""
    raw = folder / "upload"
    with raw.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    with raw.open("rb") as head:
        suffix = ".xlsx" if head.read(4) == b"PK\x03\x04" else ".csv"
    return raw.rename(raw.with_suffix(suffix))


def _upload_dir() -> Path:
    folder = Path(settings.KAM_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
