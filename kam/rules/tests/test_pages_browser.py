"""In a real Chromium: grace, the analyst, writes a new version of the deferred-payment rule
in Russian with the fact catalogue (filtered, a fact clicked into the condition) and the check
button (a misspelt fact refused, then OK), saves the draft, runs it over the history, switches
to English and enables it after the confirmation. A new rule's catalogue follows its subject.
Screenshots go to test-artifacts/rules-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kam.rules.choices import VersionState
from kam.rules.models import Rule
from kam.rules.rulebook import seed
from kam.rules.tests.pages_helpers import DEFERRED_RULE, DeferredLedger, deferred_ledger
from kam.web.browser_testing import log_in, passwords_set
from kam.web.tests import conftest as web

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

company = web.company
Company = web.Company


@pytest.fixture
def ledger(company: Company) -> DeferredLedger:
    seed()  # a transactional test starts without the migration's rulebook
    passwords_set(company.users.values())
    return deferred_ledger(company)


def test_an_analyst_writes_checks_dry_runs_and_enables_a_rule_version(
    company: Company, ledger: DeferredLedger, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    log_in(page, live_server, "grace")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/rules/']")
    expect(page.locator(f"tr[data-code={DEFERRED_RULE}]")).to_be_visible()
    page.screenshot(path=str(artifacts / "rules-list-ru.png"), full_page=True)
    page.click(f"tr[data-code={DEFERRED_RULE}] a")
    expect(page.locator("#rule-state")).to_have_attribute("data-state", "enabled")
    page.click("#new-version")

    # The catalogue: filtered to the credit facts, one clicked into the emptied condition
    condition = page.locator("#id_condition")
    condition.fill("")
    page.fill("#fact-filter", "credit")
    expect(page.locator(".fact[data-name=amount]")).to_be_hidden()
    expect(page.locator(".fact[data-name=has_valid_credit_decision]")).to_be_visible()
    condition.fill("payment_terms_days > max_days AND NOT ")
    page.click("button[data-insert=has_valid_credit_decision]")
    expect(condition).to_have_value(
        "payment_terms_days > max_days AND NOT has_valid_credit_decision"
    )
    page.fill("#id_parameters", "max_days = 20")

    # The check: a misspelt fact is refused with the parser's suggestion, then OK
    condition.fill("payment_terms_days > max_days AND NOT has_valid_credit_decisio")
    page.click("#check-button")
    expect(page.locator("#check-result")).to_have_attribute("data-ok", "false")
    expect(page.locator("#check-result")).to_contain_text("has_valid_credit_decision")
    expect(page.locator("#condition-cell")).to_have_class("form-cell wide has-error")
    page.locator(".condition-card").screenshot(path=str(artifacts / "rules-check-refused-ru.png"))
    condition.press("End")
    condition.type("n")
    page.click("#check-button")
    expect(page.locator("#check-result")).to_have_attribute("data-ok", "true")
    expect(page.locator("#check-result")).to_contain_text("max_days = 20")
    expect(page.locator("#condition-cell")).to_have_class("form-cell wide")
    page.screenshot(path=str(artifacts / "rules-editor-ru.png"), full_page=True)
    page.fill("#id_notes", "Короткая отсрочка до 20 дней — без решения комитета.")
    page.click("#save-button")

    # The dry run of the saved draft over the history
    rule = Rule.objects.get(code=DEFERRED_RULE)
    draft = rule.versions.get(number=2)
    assert draft.state == VersionState.DRAFT and draft.parameters == {"max_days": 20}
    expect(page).to_have_url(f"{live_server}/rules/{DEFERRED_RULE}/versions/2/dry-run/")
    page.click("#dry-run-button")
    expect(page.locator("#dry-run-violations")).to_have_text("1")
    expect(page.locator("#dry-run-enabled")).to_have_text("3")
    expect(page.locator("canvas#dry-run-chart")).to_have_attribute("data-chart-ready", "true")
    page.screenshot(path=str(artifacts / "rules-dry-run-ru.png"), full_page=True)

    # In English: enable it after the confirmation
    page.click("form.lang button[value=en]")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("#enable-button")
    expect(page.locator("#version-changes tr[data-field=condition]")).to_be_visible()
    page.screenshot(path=str(artifacts / "rules-enable-en.png"), full_page=True)
    page.click("#confirm-button")
    expect(page.locator("#rule-state")).to_contain_text("version 2")
    rule.refresh_from_db()
    assert rule.enabled_version_id == draft.pk
    assert rule.versions.get(number=1).state == VersionState.RETIRED
    page.screenshot(path=str(artifacts / "rules-detail-en.png"), full_page=True)

    # A new rule: its catalogue and its violator's choices follow the subject
    page.goto(f"{live_server}/rules/new/")
    page.select_option("#id_subject_type", "development_plan")
    expect(page.locator("#fact-catalogue")).to_have_attribute("data-subject", "development_plan")
    expect(page.locator("#id_violator option[value=owner_id]")).to_have_count(1)
    page.select_option("#id_subject_type", "sales_document")
    expect(page.locator("#fact-catalogue")).to_have_attribute("data-subject", "sales_document")
    expect(page.locator("#id_violator option[value=seller_id]")).to_have_count(1)
    page.screenshot(path=str(artifacts / "rules-new-en.png"), full_page=True)
