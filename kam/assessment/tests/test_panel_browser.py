"""In a real Chromium: the key-account head reads why a client is proposed, records a decision
and sees the history and the checklist; the analyst edits a weight, previews and saves a new
model version. Screenshots in Russian and English go to test-artifacts/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.assessment.models import ScoringModel, StatusDecision
from kam.assessment.services import cycle_run
from kam.assessment.tests.test_client_panel import sales
from kam.clients.models import Client
from kam.web.browser_testing import log_in, passwords_set
from kam.web.tests import conftest as web

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

company = web.company
Company = web.Company


@pytest.fixture
def people(company: Company) -> Company:
    """The web company with passwords, two years of sales and one re-evaluation cycle."""
    passwords_set(company.users.values())
    c1, c2, c3 = (company.clients[c] for c in ("C1", "C2", "C3"))
    sales(c1, range(1, 25), 50_000, ("Бумага", "Картон", "Клей"))
    sales(c2, range(1, 13), 20_000)
    sales(c3, range(6, 9), 1_000)
    Client.objects.filter(pk=c1.pk).update(
        employees=250, annual_revenue=Decimal("90000000"), purchase_potential=Decimal("5000000")
    )
    cycle_run(as_of=dt.date.today())
    return company


def test_the_head_reads_the_explanation_and_decides(
    people: Company, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "bob")
    client = people.clients["C1"]
    page.goto(f"{live_server}/clients/{client.pk}/")
    potential = page.locator("table.explain[data-axis=potential]")
    expect(potential).to_be_visible()
    expect(potential.locator("tbody tr")).to_have_count(7)
    expect(page.locator("table.explain[data-axis=attractiveness] tbody tr")).to_have_count(6)
    page.screenshot(path=str(artifacts / "client-panel-ru.png"), full_page=True)

    # The confirmation follows the chosen status before anything is recorded.
    confirm = page.locator("#decision-confirm")
    page.select_option("#id_status", "standard")
    expect(confirm.locator("li").first).not_to_contain_text("→")  # the status stays
    page.select_option("#id_status", "key")
    expect(confirm).to_contain_text("→ Ключевой клиент")
    page.select_option("#id_status", "potential_key")
    expect(confirm).to_contain_text("→ Потенциальный ключевой клиент")
    page.select_option("#id_further_work", "collect")
    page.fill("#id_reason", "Большой потенциал закупок, мало знаем о лицах, принимающих решения")
    page.locator("#decision").screenshot(path=str(artifacts / "decision-form-ru.png"))
    page.click("#decision button.primary")

    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Потенциальный ключевой клиент")
    expect(page.locator("#decisions tbody tr")).to_have_count(1)
    expect(page.locator("#decisions")).to_contain_text("Большой потенциал закупок")
    checklist = page.locator("#data-collection")
    expect(checklist).to_be_visible()
    before = page.locator(".completeness-value").inner_text()
    page.screenshot(path=str(artifacts / "client-decided-ru.png"), full_page=True)

    # The missing decision maker: the add-contact form is open on the card.
    page.fill("#id_contact-name", "Пётр Закупкин")
    page.fill("#id_contact-position", "Директор по закупкам")
    page.check("#id_contact-is_decision_maker")
    page.click("#add-contact button.primary")
    expect(page.locator("#contacts")).to_contain_text("Пётр Закупкин")
    expect(page.locator(".completeness-value")).not_to_have_text(before)
    expect(checklist.locator("li.todo")).to_have_count(0)

    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#assessment h2")).to_have_text("Assessment")
    page.screenshot(path=str(artifacts / "client-panel-en.png"), full_page=True)
    decision = StatusDecision.objects.get(client=client)
    assert (decision.status, decision.further_work) == ("potential_key", "collect")


def test_the_analyst_changes_a_weight_previews_and_saves_a_version(
    people: Company, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "grace")
    page.goto(f"{live_server}/assessment/models/")
    expect(page.locator("table.model-list tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "models-ru.png"), full_page=True)
    page.click("table.model-list a.button")  # Edit
    expect(page.locator(".notice-version")).to_contain_text("версия 2")
    page.fill("#id_potential-0-weight", "60")
    page.click("button.preview-button")
    expect(page.locator("#preview table.preview-table")).to_be_visible()
    page.screenshot(path=str(artifacts / "model-preview-ru.png"), full_page=True)

    page.fill("#id_notes", "Потенциал закупок весит вдвое больше")
    page.click(".editor-buttons button.primary")
    expect(page.locator(".messages")).to_contain_text("версия 2")
    expect(page.locator("h1")).to_contain_text("v2")
    new = ScoringModel.objects.get(version=2)
    assert new.definition["potential"][0]["weight"] == 60
    assert ScoringModel.objects.get(version=1).definition["potential"][0]["weight"] == 30

    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(artifacts / "model-v2-en.png"), full_page=True)
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("form.inline button")  # Activate, after the confirmation
    expect(page.locator(".messages")).to_contain_text("Version 2 is active")
    page.goto(f"{live_server}/assessment/models/{new.pk}/edit/")
    page.click("button.preview-button")
    expect(page.locator("#preview")).to_contain_text("differ")
    page.screenshot(path=str(artifacts / "model-editor-en.png"), full_page=True)
