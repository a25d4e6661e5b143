"""In a real Chromium: erin (in Russian) drags her deal on deferred payment through the board —
to the proposal, then with the card's button to the negotiation, then onto the contract, which
the rulebook refuses (no credit-committee decision): the deal's card says why and nothing
moves. alice (in English) overrides on the card with a reason: the deal moves to the contract,
an incident is opened and the card names it. Screenshots go to test-artifacts/deals-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.deals.models import Deal
from kam.deals.tests.pages import a_deal
from kam.incidents.choices import IncidentKind
from kam.incidents.models import Incident
from kam.rules.rulebook import seed
from kam.web.browser_testing import log_in, passwords_set
from kam.web.tests.conftest import Company

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def deal(company: Company) -> Deal:
    seed()  # a transactional test starts without the migration's rulebook
    passwords_set(company.users.values())
    a_deal(company, "erin", "C3", title="Бумага на квартал", amount="80 000")
    return a_deal(company, "erin", "C3", title="Картон с отсрочкой", amount="450 000", terms=45)


def column(page: Page, stage: str) -> str:
    return f".board-column[data-stage={stage}]"


def card_in(page: Page, stage: str, deal: Deal) -> str:
    return f"{column(page, stage)} .deal-card[data-deal='{deal.pk}']"


def test_a_deal_moves_through_the_board_until_the_rulebook_stops_it(
    company: Company, deal: Deal, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})

    # erin's board, in Russian: her two deals at the qualification stage
    log_in(page, live_server, "erin")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/deals/']")
    expect(page.locator(f"{column(page, 'qualification')} .board-count")).to_have_text("2")
    expect(page.locator(card_in(page, "qualification", deal))).to_be_visible()
    page.screenshot(path=str(artifacts / "deals-board-ru.png"), full_page=True)

    # dragged onto the proposal's column
    page.drag_and_drop(card_in(page, "qualification", deal), column(page, "proposal"))
    expect(page.locator(card_in(page, "proposal", deal))).to_be_visible()
    expect(page.locator(f"{column(page, 'proposal')} .board-count")).to_have_text("1")
    expect(page.locator(".messages .msg-success")).to_be_visible()

    # the card's own button: on to the negotiation
    page.click(f"{card_in(page, 'proposal', deal)} .card-move button")
    expect(page.locator(card_in(page, "negotiation", deal))).to_be_visible()

    # onto the contract: refused, on the deal's card, with the rule's message
    page.drag_and_drop(card_in(page, "negotiation", deal), column(page, "contract"))
    expect(page.locator("#refusal")).to_be_visible()
    expect(page.locator("#refusal")).to_contain_text(
        "Отсрочка 45 дн. без действующего решения кредитного комитета"
    )
    expect(page.locator("#deal-stage")).to_have_attribute("data-stage", "negotiation")
    expect(page.locator("#override-form")).to_have_count(0)
    expect(page.locator("#refusal-apply")).to_be_visible()
    page.screenshot(path=str(artifacts / "deals-refused-ru.png"), full_page=True)
    deal.refresh_from_db()
    assert deal.stage == "negotiation"
    assert list(deal.stage_changes.values_list("stage", flat=True)) == [
        "qualification",
        "proposal",
        "negotiation",
    ]
    page.click("form[action='/logout/'] button")

    # alice, in English: the same move from the card, refused, then overridden with a reason
    log_in(page, live_server, "alice")
    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(f"{live_server}/deals/{deal.pk}/")
    page.click("#move-next")
    expect(page.locator("#refusal")).to_contain_text("The rulebook refuses the move")
    expect(page.locator("#refusal")).to_contain_text(
        "45 days of deferred payment without a valid credit-committee decision"
    )
    page.fill("#id_override_reason", "Strategic client; the application is filed.")
    page.screenshot(path=str(artifacts / "deals-override-en.png"), full_page=True)
    page.click("#override-button")
    expect(page.locator("#deal-stage")).to_have_attribute("data-stage", "contract")
    incident = Incident.objects.get(kind=IncidentKind.OVERRIDE, subject_id=deal.pk)
    expect(page.locator(".messages")).to_contain_text(incident.number)
    expect(page.locator(f"#incidents li[data-incident='{incident.pk}']")).to_be_visible()
    page.screenshot(path=str(artifacts / "deals-overridden-en.png"), full_page=True)

    # the board shows it at the contract
    page.click("nav.mainnav a[href='/deals/']")
    expect(page.locator(card_in(page, "contract", deal))).to_be_visible()
    expect(page.locator(f"{column(page, 'contract')} .board-count")).to_have_text("1")
    page.screenshot(path=str(artifacts / "deals-board-en.png"), full_page=True)
