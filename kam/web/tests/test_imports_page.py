"""The imports page: upload, see the row-level report, confirm or cancel; history."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as Browser
from django.urls import reverse

from kam.clients.models import Client
from kam.imports.models import ImportBatch
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

GOOD = "code,name,region\nN1,ООО «Новый»,Тверь\nN2,АО «Второй»,\n"
BAD = "code,name\nN1,\n,Без кода\n"


def upload(browser: Browser, text: str, kind: str = "clients") -> Any:
    return browser.post(
        reverse("imports:upload"),
        {
            "kind": kind,
            "file": SimpleUploadedFile("clients.csv", text.encode("utf-8")),
        },
    )


@pytest.fixture
def analyst(company: Company) -> Browser:
    browser = Browser()
    browser.force_login(company.users["grace"])
    return browser


def test_a_good_file_is_checked_then_imported_on_confirmation(analyst: Browser) -> None:
    response = upload(analyst, GOOD)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ok and report.created == 2 and report.dry_run
    assert not Client.objects.filter(code="N1").exists(), "nothing before confirmation"
    token = response.context["token"]
    done = analyst.post(reverse("imports:confirm", args=[token]), {"action": "import"}, follow=True)
    assert done.status_code == 200
    assert Client.objects.get(code="N1").region == "Тверь"
    batch = ImportBatch.objects.get()
    assert (batch.kind, batch.file_name, batch.created, batch.actor_label) == (
        "clients",
        "clients.csv",
        2,
        "grace",
    )
    assert "clients.csv" in done.content.decode()


def test_a_bad_file_shows_every_bad_row_and_writes_nothing(analyst: Browser) -> None:
    response = upload(analyst, BAD)
    report = response.context["report"]
    assert not report.ok and response.context["token"] is None
    assert [(e["line"], e["column"]) for e in report.errors] == [(2, "name"), (3, "code")]
    assert "a required value is empty" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_cancelling_writes_nothing(analyst: Browser) -> None:
    token = upload(analyst, GOOD).context["token"]
    analyst.post(reverse("imports:confirm", args=[token]), {"action": "cancel"})
    assert not Client.objects.filter(code="N1").exists()
    # The upload is gone: confirming it later is refused politely.
    response = analyst.post(
        reverse("imports:confirm", args=[token]), {"action": "import"}, follow=True
    )
    assert "no longer waiting" in response.content.decode()


def test_another_user_cannot_confirm_my_upload(company: Company, analyst: Browser) -> None:
    token = upload(analyst, GOOD).context["token"]
    director = Browser()
    director.force_login(company.users["alice"])
    director.post(reverse("imports:confirm", args=[token]), {"action": "import"})
    assert not Client.objects.filter(code="N1").exists()


def test_the_auditor_sees_the_history_but_no_upload_form(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["frank"])
    response = browser.get(reverse("imports:list"))
    assert response.status_code == 200 and response.context["form"] is None
    assert upload(browser, GOOD).status_code == 403
