"""GET and POST /api/imports: the history, and uploading a file for the report."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from openpyxl import Workbook

from kam.api.tests.conftest import Company, MakeClient
from kam.audit.models import AuditEntry
from kam.clients.models import Client
from kam.imports.models import ImportBatch

pytestmark = pytest.mark.django_db

GOOD = "code,name,region\nN1,ООО «Новый»,Тверь\nC1,ООО «Ромашка»,Тула\n"
BAD = "code,name,responsible_code\nN1,,\n,Без кода,\nN3,Третий,E99\n"
# A row with fewer cells than the header.
SHORT_ROW = "code,name,region\nN1,ООО «Новый»\n"


def upload(client: HttpClient, text: str | bytes, **fields: Any) -> Any:
    content = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        "/api/imports",
        {"kind": "clients", "file": SimpleUploadedFile("clients.csv", content), **fields},
    )


def test_it_imports_a_good_file(company: Company, bearer: MakeClient) -> None:
    response = upload(bearer("grace"), GOOD)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["kind"], body["file"], body["rows"]) == ("clients", "clients.csv", 2)
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 0)
    assert (body["errors"], body["errors_total"]) == ([], 0)
    assert body["dry_run"] is False
    batch = ImportBatch.objects.get(pk=body["import_id"])
    assert batch.actor_label == "grace"
    assert Client.objects.get(code="N1").region == "Тверь"
    assert Client.objects.get(code="C1").region == "Тула"
    assert AuditEntry.objects.filter(action="import.completed", actor=company.users["grace"])


def test_it_rejects_a_bad_file_whole_and_writes_nothing(
    company: Company, bearer: MakeClient
) -> None:
    client = bearer("alice")
    before = (Client.objects.count(), ImportBatch.objects.count(), AuditEntry.objects.count())
    response = upload(client, BAD)
    assert response.status_code == 422
    body = response.json()
    assert body["import_id"] is None and body["errors_total"] == len(body["errors"]) >= 3
    assert {(e["line"], e["column"]) for e in body["errors"]} >= {
        (2, "name"),
        (3, "code"),
        (4, "responsible_code"),
    }
    assert all(e["reason"] for e in body["errors"])
    after = (Client.objects.count(), ImportBatch.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_it_reads_a_file_with_a_short_row(company: Company, bearer: MakeClient) -> None:
    """Missing trailing cells are empty values, not a server error."""
    response = upload(bearer("alice"), SHORT_ROW)
    assert response.status_code == 200, response.json()
    assert Client.objects.get(code="N1").region == ""


def test_it_rejects_what_is_not_a_table(company: Company, bearer: MakeClient) -> None:
    response = upload(bearer("alice"), b"%PDF-1.4 not a table")
    assert response.status_code == 422
    assert response.json()["errors"][0]["line"] == 1


def test_it_writes_nothing_on_a_dry_run(company: Company, bearer: MakeClient) -> None:
    response = upload(bearer("alice"), GOOD, dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True and body["created"] == 1 and body["import_id"] is None
    assert not Client.objects.filter(code="N1").exists()
    assert not ImportBatch.objects.filter(kind="clients").exists()


def test_it_reads_an_xlsx_workbook_whatever_its_name(company: Company, bearer: MakeClient) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "name"])
    sheet.append(["X1", "Из Excel"])
    data = io.BytesIO()
    workbook.save(data)
    response = bearer("alice").post(
        "/api/imports",
        {"kind": "clients", "file": SimpleUploadedFile("export.bin", data.getvalue())},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["format"].lower().startswith("xlsx")
    assert Client.objects.filter(code="X1", name="Из Excel").exists()


def test_it_refuses_uploads_by_the_auditor(company: Company, bearer: MakeClient) -> None:
    response = upload(bearer("frank"), GOOD)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the director and the analyst import files."}
    assert not Client.objects.filter(code="N1").exists()


def test_it_refuses_uploads_by_a_key_account_manager(company: Company, bearer: MakeClient) -> None:
    assert upload(bearer("charlie"), GOOD).status_code == 403


@pytest.mark.parametrize("fields", [{"kind": "contracts"}, {"file": ""}])
def test_it_refuses_a_malformed_upload(
    company: Company, bearer: MakeClient, fields: dict[str, str]
) -> None:
    data = {"kind": "clients", "file": SimpleUploadedFile("c.csv", GOOD.encode()), **fields}
    response = bearer("alice").post("/api/imports", data)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_it_lists_imports_for_the_auditor(company: Company, bearer: MakeClient) -> None:
    body = bearer("frank").get("/api/imports").json()
    assert body["count"] == 3
    assert {item["kind"] for item in body["items"]} == {"sales", "payments", "credit_decisions"}
    sales = bearer("frank").get("/api/imports?kind=sales").json()
    assert sales["count"] == 1 and sales["items"][0]["rows"] == 5


def test_it_pages_the_history(company: Company, bearer: MakeClient) -> None:
    body = bearer("alice").get("/api/imports?limit=2&offset=2").json()
    assert body["count"] == 3 and len(body["items"]) == 1


def test_it_hides_the_history_from_a_key_account_manager(
    company: Company, bearer: MakeClient
) -> None:
    response = bearer("charlie").get("/api/imports")
    assert response.status_code == 403
    assert "detail" in response.json()
