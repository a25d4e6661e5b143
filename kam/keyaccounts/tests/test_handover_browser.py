"""In a real Chromium: the key-account head opens the department board, hands an account over
through the form in Russian, switches to English and assigns the key account that has nobody.
Screenshots in both languages go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.keyaccounts.models import Handover
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests import pages
from kam.web.browser_testing import log_in, passwords_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


dept = pages.dept  # fixtures shared with the page tests


@pytest.fixture
def people(dept: Department_) -> Department_:
    passwords_set(dept.users.values())
    return dept


def test_the_head_hands_an_account_over_and_assigns_a_gap(
    people: Department_, live_server: object, page: Page, artifacts: Path
) -> None:
    k1, g1 = people.clients["K1"], people.clients["G1"]
    kate, ken = people.employees["kate"], people.employees["ken"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "helen")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/key-accounts/']")
    expect(page.locator("table.gaps tbody tr")).to_have_count(1)
    expect(page.locator(f"#manager-{kate.pk} table.accounts tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "keyaccounts-board-ru.png"), full_page=True)

    # Russian: K1 goes from kate to ken, with notes for him
    page.click(f"#manager-{kate.pk} a[href='/key-accounts/clients/{k1.pk}/handover/']")
    expect(page.locator("#briefing")).to_contain_text("Иван Закупкин")
    page.select_option("#id_to_manager", str(ken.pk))
    page.select_option("#id_cause", "overload")
    page.fill("#id_notes", "Закупщик Иван ждёт звонка по вторникам.")
    page.screenshot(path=str(artifacts / "keyaccounts-handover-form-ru.png"), full_page=True)
    page.click("#handover-button")
    expect(page.locator(".messages .msg-success")).to_be_visible()
    expect(page.locator("#ownership")).to_contain_text("Кен Ключевой")
    page.locator("#ownership").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "keyaccounts-card-ownership-ru.png"), full_page=True)
    k1.refresh_from_db()
    assert k1.responsible == ken

    # English: the board shows the handover awaiting ken; the gap goes to kate
    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("nav.mainnav a[href='/key-accounts/']")
    expect(page.locator("h1")).to_have_text("Key-account department")
    expect(page.locator("table.pending tbody tr")).to_have_count(1)
    expect(page.locator(f"#manager-{ken.pk} .badge-pending")).to_have_count(1)
    page.screenshot(path=str(artifacts / "keyaccounts-board-en.png"), full_page=True)
    page.click(f"table.gaps tr[data-client='{g1.pk}'] a.button")
    expect(page.locator("#id_cause")).to_have_value("assignment")
    page.select_option("#id_to_manager", str(kate.pk))
    page.screenshot(path=str(artifacts / "keyaccounts-handover-form-en.png"), full_page=True)
    page.click("#handover-button")
    expect(page.locator(".messages .msg-success")).to_contain_text("is handed over to")
    g1.refresh_from_db()
    assert g1.responsible == kate
    page.click("nav.mainnav a[href='/key-accounts/']")
    expect(page.locator("#gaps .empty")).to_be_visible()
    page.screenshot(path=str(artifacts / "keyaccounts-board-after-en.png"), full_page=True)

    # ken reads his handover and acknowledges it
    page.click("form[action='/logout/'] button")
    log_in(page, live_server, "ken")
    page.goto(f"{live_server}/key-accounts/mine/")
    expect(page.locator("#to-acknowledge tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "keyaccounts-mine-en.png"), full_page=True)
    page.click("#to-acknowledge td a")
    expect(page.locator("#briefing")).to_contain_text("Иван Закупкин")
    page.screenshot(path=str(artifacts / "keyaccounts-handover-detail-en.png"), full_page=True)
    page.click("#acknowledge-button")
    expect(page.locator(".badge-acknowledged")).to_be_visible()
    assert Handover.objects.get(client=k1).acknowledged_at is not None


def test_the_head_previews_a_bulk_handover_and_sets_a_limit(
    people: Department_, live_server: object, page: Page, artifacts: Path
) -> None:
    from kam.clients.choices import ClientStatus
    from kam.keyaccounts.services import limit_for

    pages.account_add(people, "K3", "АО «Третий»", "kate", ClientStatus.KEY)
    kate, ken = people.employees["kate"], people.employees["ken"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "helen")
    page.goto(f"{live_server}/key-accounts/")
    page.click(f"#manager-{kate.pk} a[href='/key-accounts/managers/{kate.pk}/handover/']")
    expect(page.locator("table.bulk-accounts tbody tr")).to_have_count(2)
    page.check(f"input[name=receivers][value='{ken.pk}']")
    page.check(f"input[name=receivers][value='{people.employees['helen'].pk}']")
    expect(
        page.locator(".rule-one")
    ).to_be_hidden()  # spread is chosen: one receiver's select hides
    page.screenshot(path=str(artifacts / "keyaccounts-bulk-form-ru.png"), full_page=True)
    page.click("#preview-button")
    expect(page.locator("table.confirm-list tbody tr")).to_have_count(2)
    page.screenshot(path=str(artifacts / "keyaccounts-bulk-confirm-ru.png"), full_page=True)
    assert not Handover.objects.exists()

    page.click("button.lang-btn[value=en]")
    page.goto(f"{live_server}/key-accounts/workload/")
    page.fill(f"input[name='m{ken.pk}-max_accounts']", "3")
    page.click(f"#limit-{ken.pk} button")
    expect(page.locator(".messages .msg-success")).to_be_visible()
    page.screenshot(path=str(artifacts / "keyaccounts-workload-en.png"), full_page=True)
    assert limit_for(ken).max_accounts == 3
