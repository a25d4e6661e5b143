"""Imports page: upload, see the row-level report, confirm; the history of imports."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.imports.forms import ImportUploadForm
from kam.imports.models import ImportBatch, ImportKind
from kam.imports.services import import_file
from kam.web import access

PENDING = "kam_pending_imports"
SHOWN_ERRORS = 500


def _upload_dir() -> Path:
    folder = Path(settings.KAM_IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@login_required
def import_list_view(request: HttpRequest) -> HttpResponse:
    if not access.can_view_imports(request.user):
        raise PermissionDenied
    batches = ImportBatch.objects.all()
    kind = request.GET.get("kind", "")
    if kind in ImportKind.values:
        batches = batches.filter(kind=kind)
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    form = ImportUploadForm() if access.can_import(request.user) else None
    return render(
        request,
        "imports/list.html",
        {
            "page": page,
            "form": form,
            "kinds": ImportKind.choices,
            "kind": kind,
            "query_prefix": f"kind={kind}&" if kind else "",
            "nav": "imports",
        },
    )


@login_required
@require_POST
def import_upload_view(request: HttpRequest) -> HttpResponse:
    """Validate the upload as a dry run and show what importing it would do."""
    if not access.can_import(request.user):
        raise PermissionDenied
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request,
            "imports/list.html",
            {
                "page": Paginator(ImportBatch.objects.all(), 50).get_page(1),
                "form": form,
                "kinds": ImportKind.choices,
                "nav": "imports",
            },
            status=400,
        )
    upload = form.cleaned_data["file"]
    token = uuid.uuid4().hex
    suffix = Path(upload.name).suffix.lower()[:8]
    path = _upload_dir() / f"{token}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    kind = form.cleaned_data["kind"]
    report = import_file(
        kind=kind, path=path, user=request.user, dry_run=True, file_name=upload.name
    )
    if report.ok:
        pending = request.session.get(PENDING, {})
        pending[token] = {"path": str(path), "kind": kind, "name": upload.name}
        request.session[PENDING] = pending
    else:
        path.unlink(missing_ok=True)
    return render(
        request,
        "imports/report.html",
        {
            "report": report,
            "token": token if report.ok else None,
            "errors": report.errors[:SHOWN_ERRORS],
            "nav": "imports",
            "kind_label": ImportKind(kind).label,
        },
    )


@login_required
@require_POST
def import_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """Import the file validated a moment ago (it is validated again: data may have moved)."""
    if not access.can_import(request.user):
        raise PermissionDenied
    pending = request.session.get(PENDING, {})
    item = pending.pop(token, None)
    request.session[PENDING] = pending
    if item is None:
        messages.error(request, _("This upload is no longer waiting; upload the file again."))
        return redirect("imports:list")
    path = Path(item["path"])
    if request.POST.get("action") == "cancel":
        path.unlink(missing_ok=True)
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("imports:list")
    try:
        report = import_file(
            kind=item["kind"], path=path, user=request.user, file_name=item["name"]
        )
    finally:
        path.unlink(missing_ok=True)
    if report.ok:
        messages.success(
            request,
            _(
                "%(file)s imported: %(created)d created, %(updated)d "
                "updated, %(unchanged)d unchanged."
            )
            % {
                "file": report.file_name,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
        return redirect("imports:list")
    return render(
        request,
        "imports/report.html",
        {
            "report": report,
            "token": None,
            "errors": report.errors[:SHOWN_ERRORS],
            "nav": "imports",
            "kind_label": ImportKind(item["kind"]).label,
        },
    )
