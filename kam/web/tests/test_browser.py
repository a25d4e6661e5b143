"""In a real Chromium: two roles log in, switch language, search and filter, open a card with
its chart drawn, upload an import and read the report. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.web.browser_testing import log_in, passwords_set
from kam.web.tests.conftest import Company

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def people(company: Company) -> Company:
    passwords_set(company.users.values())
    return company


def test_a_manager_works_in_russian_and_switches_to_english(
    people: Company, live_server: object, page: Page, artifacts: Path
) -> None:
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "charlie")
    expect(page.locator("h1")).to_have_text("Клиенты")
    expect(page.locator("table.table tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "clients-manager-ru.png"), full_page=True)
    page.click("table.table tbody tr td:nth-child(2) a")
    expect(page.locator("canvas#revenue-chart")).to_have_attribute("data-chart-ready", "true")
    page.screenshot(path=str(artifacts / "client-card-ru.png"), full_page=True)
    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".kpi-label").first).to_have_text("Revenue, 12 months")
    page.screenshot(path=str(artifacts / "client-card-en.png"), full_page=True)


def test_the_director_searches_filters_and_imports(
    people: Company, live_server: object, page: Page, artifacts: Path, tmp_path: Path
) -> None:
    page.context.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
    log_in(page, live_server, "alice")
    expect(page.locator("table.table tbody tr")).to_have_count(4)
    page.fill("#id_q", "ромаш")
    expect(page.locator("table.table tbody tr")).to_have_count(1)
    page.fill("#id_q", "")
    page.select_option("#id_region", "Москва")
    expect(page.locator("table.table tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "clients-director-en.png"), full_page=True)

    page.click("nav.mainnav a[href='/imports/']")
    bad = tmp_path / "clients.csv"
    bad.write_text("code,name\nN1,\n", encoding="utf-8")
    page.select_option("#id_kind", "clients")
    page.set_input_files("#id_file", str(bad))
    page.click("text=Check the file")
    expect(page.locator("table.errors tbody tr")).to_have_count(1)
    expect(page.locator("table.errors")).to_contain_text("a required value is empty")
    page.screenshot(path=str(artifacts / "import-rejected-en.png"), full_page=True)

    good = tmp_path / "good.csv"
    good.write_text("code,name\nN1,ООО «Новый»\n", encoding="utf-8")
    page.goto(f"{live_server}/imports/")
    page.select_option("#id_kind", "clients")
    page.set_input_files("#id_file", str(good))
    page.click("text=Check the file")
    expect(page.locator("section.card.ok")).to_contain_text("1 rows: 1 to create")
    page.click("button[value=import]")
    expect(page.locator(".messages")).to_contain_text("good.csv imported: 1 created")
    page.screenshot(path=str(artifacts / "import-done-en.png"), full_page=True)
