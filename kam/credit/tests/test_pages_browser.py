"""In a real Chromium: the committee votes. erin (in Russian) applies for 45 days of credit for
her client from the client card; mike finds it awaiting his vote and approves after the
browser's confirmation; nina, who keeps no conflict, is not needed; cora (in English) approves
with a lower limit, and the decision appears on the application and the client card; the
printable minutes list the votes. Screenshots go to test-artifacts/credit-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.credit.choices import ApplicationState
from kam.credit.models import CreditApplication, CreditDecision
from kam.credit.testing import Committee, committee_create
from kam.web.browser_testing import log_in, passwords_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def people() -> Committee:
    made = committee_create()
    passwords_set(made.users.values())
    return made


def log_out(page: Page) -> None:
    page.click("form[action='/logout/'] button")


def test_members_vote_and_the_decision_reaches_the_client_card(
    people: Committee, live_server: object, page: Page, artifacts: Path
) -> None:
    c1 = people.clients["C1"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    dialogs: list[str] = []

    def accept(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.accept()  # type: ignore[attr-defined]

    page.on("dialog", accept)

    # erin applies from the client card, in Russian
    log_in(page, live_server, "erin")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{live_server}/clients/{c1.pk}/")
    page.click("#credit-apply-link")
    expect(page.locator("#committee .roster li")).to_have_count(3)
    page.fill("#id_apply-requested_limit", "500 000")
    page.fill("#id_apply-requested_terms_days", "45")
    page.fill("#id_apply-justification", "Квартальный контракт, платит в срок последние полгода.")
    page.screenshot(path=str(artifacts / "credit-apply-ru.png"), full_page=True)
    page.click("#apply-button")
    expect(page.locator("#application-state .badge")).to_have_attribute("data-state", "pending")
    application = CreditApplication.objects.get()
    assert application.requested_terms_days == 45
    log_out(page)

    # mike: the inbox shows it awaiting his vote with the client's facts; he approves
    log_in(page, live_server, "mike")
    page.click("nav.mainnav a[href='/credit/']")
    card = page.locator(f"#awaiting-{application.pk}")
    expect(card).to_be_visible()
    expect(card.locator("[data-fact=max_overdue_days], .badge-over")).to_have_count(1)
    page.screenshot(path=str(artifacts / "credit-inbox-ru.png"), full_page=True)
    card.locator("a.button.primary").click()
    expect(page.locator("#vote-form")).to_be_visible()
    expect(page.locator("#reduced-fields")).to_be_hidden()
    page.check("input[name='vote-choice'][value='approve']")
    page.click("#vote-button")
    expect(page.locator("#my-vote")).to_be_visible()
    assert len(dialogs) == 1
    expect(page.locator(".vote-row[data-member='E10']")).to_have_attribute("data-vote", "approve")
    expect(page.locator("#application-state .badge")).to_have_attribute("data-state", "pending")
    page.screenshot(path=str(artifacts / "credit-voted-ru.png"), full_page=True)
    log_out(page)

    # cora, in English: approve with a lower limit; the reduced fields appear when chosen
    log_in(page, live_server, "cora")
    page.goto(f"{live_server}/credit/applications/{application.pk}/")
    page.click("form.lang button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.check("input[name='vote-choice'][value='approve_reduced']")
    expect(page.locator("#reduced-fields")).to_be_visible()
    page.fill("#id_vote-limit", "400000")
    page.fill("#id_vote-comment", "Lower limit while the old invoice is late.")
    page.screenshot(path=str(artifacts / "credit-vote-en.png"), full_page=True)
    page.click("#vote-button")
    expect(page.locator("#application-state .badge")).to_have_attribute("data-state", "approved")
    expect(page.locator(".messages .msg-success")).to_contain_text("decides: approved")
    decision = CreditDecision.objects.get()
    expect(page.locator("#decision-link")).to_have_text(decision.decision_no)
    expect(page.locator("#decision-limit")).to_contain_text("400")
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    page.screenshot(path=str(artifacts / "credit-approved-en.png"), full_page=True)

    # The client card's panel shows the decision
    page.click("#client-link")
    expect(page.locator("#credit-panel")).to_contain_text(decision.decision_no)
    expect(page.locator("#credit-terms")).to_contain_text("45")
    page.locator("#credit-panel").screenshot(path=str(artifacts / "credit-client-panel-en.png"))

    # The minutes
    page.goto(f"{live_server}/credit/applications/{application.pk}/protocol/")
    expect(page.locator("nav.mainnav")).to_have_count(0)
    expect(page.locator("#protocol-votes tbody tr")).to_have_count(3)
    expect(page.locator("#protocol-decision")).to_contain_text(decision.decision_no)
    page.screenshot(path=str(artifacts / "credit-protocol-en.png"), full_page=True)
