"""In a real Chromium: an incident from open to closed. charlie (in Russian) explains the
incident that names him; bob (in English) decides with a fine and two corrective actions (the
second added in the page), each owner marks theirs done and bob closes after the browser's
confirmation. Screenshots go to test-artifacts/incidents-*.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from kam.incidents.choices import IncidentState
from kam.incidents.models import Incident, SanctionKind
from kam.incidents.tests.pages import heads_set, incident_open
from kam.rules.rulebook import seed
from kam.web.browser_testing import log_in, passwords_set
from kam.web.tests.conftest import Company

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def incident(company: Company) -> Incident:
    seed()  # a transactional test starts without the migration's rulebook
    passwords_set(company.users.values())
    heads_set(company)
    return incident_open(company, "charlie", "C1", "D-2041")


def state_of(page: Page) -> Locator:
    return page.locator("#incident-number .incident-state")


def switch_to(page: Page, language: str) -> None:
    page.click(f"form.lang button[value={language}]")
    page.wait_for_load_state()


def test_an_incident_goes_from_open_to_closed(
    company: Company, incident: Incident, live_server: object, page: Page, artifacts: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    page.on("dialog", lambda dialog: dialog.accept())

    # charlie opens his inbox (it opens on what names him) and explains
    log_in(page, live_server, "charlie")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/incidents/']")
    expect(page.locator(".incident-tabs a[data-tab=mine]")).to_have_attribute(
        "aria-selected", "true"
    )
    page.screenshot(path=str(artifacts / "incidents-inbox-ru.png"), full_page=True)
    page.click(f"tr[data-incident='{incident.pk}'] a.strong-link")
    expect(state_of(page)).to_have_attribute("data-state", "open")
    page.fill("#id_explain-explanation", "Клиент торопился, решение комитета ожидалось.")
    page.click("#explain-button")
    expect(state_of(page)).to_have_attribute("data-state", "investigating")
    page.screenshot(path=str(artifacts / "incidents-card-explained-ru.png"), full_page=True)

    # bob, in English, decides: a fine with its amount, two corrective actions
    page.context.clear_cookies()
    log_in(page, live_server, "bob")
    switch_to(page, "en")
    page.goto(f"{live_server}/incidents/")
    expect(page.locator(".incident-tabs a[data-tab=handle]")).to_have_attribute(
        "aria-selected", "true"
    )
    page.click(f"tr[data-incident='{incident.pk}'] a.strong-link")
    fine = SanctionKind.objects.get(code="fine")
    expect(page.locator(".measure-amount")).to_be_hidden()  # the rule's default: a warning
    page.select_option("#id_decide-sanction", str(fine.pk))
    expect(page.locator(".measure-amount")).to_be_visible()
    expect(page.locator(".measure-percent")).to_be_hidden()
    page.fill("#id_decide-conclusion", "Shipped before the committee met.")
    page.fill("#id_decide-amount", "5000")
    due = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    page.fill("#id_actions-0-description", "Ask the committee for a decision on C1")
    page.select_option("#id_actions-0-owner", str(company.employees["charlie"].pk))
    page.fill("#id_actions-0-due", due)
    page.click("#add-action")
    expect(page.locator("#action-rows .action-row")).to_have_count(2)
    page.fill("#id_actions-1-description", "Remind the department of the rule")
    page.select_option("#id_actions-1-owner", str(company.employees["bob"].pk))
    page.fill("#id_actions-1-due", due)
    page.screenshot(path=str(artifacts / "incidents-decide-en.png"), full_page=True)
    page.click("#decide-button")
    expect(state_of(page)).to_have_attribute("data-state", "decided")
    expect(page.locator("#close-blocked")).to_be_visible()
    expect(page.locator(".sanction-measure")).to_contain_text("Fine")

    # bob marks his action done; charlie marks his
    actions = list(Incident.objects.get(pk=incident.pk).corrective_actions.order_by("pk"))
    row = page.locator(f"#action-{actions[1].pk}")
    row.locator("textarea").fill("Told everyone at the Monday meeting.")
    row.locator("button").click()
    expect(page.locator(f"#action-{actions[1].pk}")).to_have_attribute("data-done", "true")
    page.context.clear_cookies()
    log_in(page, live_server, "charlie")
    page.goto(f"{live_server}/incidents/{incident.pk}/")
    row = page.locator(f"#action-{actions[0].pk}")
    row.locator("textarea").fill("The committee approved 30 days.")
    row.locator("button").click()
    expect(page.locator(f"#action-{actions[0].pk}")).to_have_attribute("data-done", "true")
    expect(page.locator(f"#action-{actions[1].pk} button")).to_have_count(0)

    # bob closes, confirming in the browser's dialog
    page.context.clear_cookies()
    log_in(page, live_server, "bob")
    page.goto(f"{live_server}/incidents/{incident.pk}/")
    page.fill("#id_close-comment", "Both actions done.")
    page.click("#close-button")
    expect(state_of(page)).to_have_attribute("data-state", "closed")
    expect(page.locator(".incident-story li[data-kind=closed]")).to_have_count(1)
    page.screenshot(path=str(artifacts / "incidents-card-closed-en.png"), full_page=True)
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.CLOSED
