"""In a real Chromium: kate proposes the plan for K1 from her plans (in Russian), changes the
revenue target inline, adds an action and submits the plan; helen opens it from the department's
plans, switches to English and approves it. Screenshots go to test-artifacts/planning-*.png."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kam.keyaccounts.testing import Department_, department_create
from kam.ledger.months import month_start
from kam.planning import services
from kam.planning.choices import ActionKind, EventKind, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan
from kam.planning.periods import period_of
from kam.planning.tests.ledger import sales_import
from kam.web.browser_testing import log_in, passwords_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def people(tmp_path: Path) -> Department_:
    """The department with passwords; K1 bought every month of the last year and through this
    month so far (the chart has a line), K2 a little."""
    dept = department_create()
    passwords_set(dept.users.values())
    today = timezone.localdate()
    rows: list[tuple[str, dt.date, str, str, float, float | None, int]] = []
    for back in range(1, 13):
        start = month_start(today, back)
        rows.append(
            (
                f"H{back}a",
                start + dt.timedelta(days=3),
                "K1",
                "Бумага",
                6_000 + 300 * back,
                3_600,
                30,
            )
        )
        rows.append((f"H{back}b", start + dt.timedelta(days=17), "K1", "Картон", 3_000, 1_900, 30))
        rows.append((f"K{back}", start + dt.timedelta(days=9), "K2", "Бумага", 4_000, 2_500, 30))
    for day in range(1, today.day + 1, 3):
        rows.append((f"N{day}", today.replace(day=day), "K1", "Бумага", 1_500 + 40 * day, 900, 30))
    sales_import(tmp_path, rows)
    return dept


def test_kate_writes_and_submits_the_plan_helen_approves_it(
    people: Department_, live_server: object, page: Page, artifacts: Path
) -> None:
    k1 = people.clients["K1"]
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    page.on("dialog", lambda dialog: dialog.accept())

    # Russian: kate proposes the plan from her list and lands on its page
    log_in(page, live_server, "kate")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("nav.mainnav a[href='/plans/']")
    page.click(f"form[action='/plans/clients/{k1.pk}/new/'] button")
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "draft")
    plan = DevelopmentPlan.objects.get(client=k1)
    revenue = plan.targets.get(kind=TargetKind.REVENUE)
    expect(page.locator("canvas#plan-pace")).to_have_attribute("data-chart-ready", "true")
    expect(page.locator("#targets-body tr.target-row")).to_have_count(plan.targets.count())
    page.screenshot(path=str(artifacts / "planning-plan-draft-ru.png"), full_page=True)

    # The revenue target inline: the row becomes a form, a wrong number is refused beside it
    row = page.locator(f"#target-{revenue.pk}")
    row.locator("a.target-edit").click()
    value = page.locator(f"#target-{revenue.pk} input[name=value]")
    expect(value).to_be_visible()
    value.fill("много")
    page.click(f"#target-{revenue.pk} button.target-save")
    expect(page.locator(f"#target-{revenue.pk} .field-errors")).to_be_visible()
    page.locator(f"#target-{revenue.pk}").screenshot(
        path=str(artifacts / "planning-target-error-ru.png")
    )
    page.locator(f"#target-{revenue.pk} input[name=value]").fill("150 000")
    page.click(f"#target-{revenue.pk} button.target-save")
    expect(page.locator(f"#target-{revenue.pk} input[name=value]")).to_have_count(0)
    expect(page.locator(f"#target-{revenue.pk} td.target-value")).to_contain_text("150")
    revenue.refresh_from_db()
    assert revenue.value == Decimal("150000")
    # The chart is drawn again with the new target line
    expect(page.locator("canvas#plan-pace")).to_have_attribute("data-chart-ready", "true")
    pace = json.loads(page.locator("#plan-pace-data").text_content() or "[]")
    assert pace[-1]["target"] == 150000

    # An action, added without leaving the page
    actions_before = plan.actions.count()
    page.select_option("#id_new-action-kind", ActionKind.PRESENTATION)
    page.fill("#id_new-action-title", "Презентация нового картона")
    due = min(timezone.localdate() + dt.timedelta(days=3), plan.period_end)
    page.fill("#id_new-action-due", due.isoformat())
    page.click("#action-add-button")
    expect(page.locator("#actions-body tr.action-row")).to_have_count(actions_before + 1)
    expect(page.locator("#actions")).to_contain_text("Презентация нового картона")
    action = plan.actions.get(title="Презентация нового картона")
    assert action.kind == ActionKind.PRESENTATION and action.responsible == people.employees["kate"]
    page.screenshot(path=str(artifacts / "planning-plan-edited-ru.png"), full_page=True)

    # Submit (after the confirmation)
    page.click("#submit-button")
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "submitted")
    expect(page.locator(".messages .msg-success")).to_be_visible()
    expect(page.locator("a.target-edit")).to_have_count(0)
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    page.screenshot(path=str(artifacts / "planning-plan-submitted-ru.png"), full_page=True)
    page.click("form[action='/logout/'] button")

    # helen: the department's plans, then the plan; in English she approves it
    log_in(page, live_server, "helen")
    page.click("nav.mainnav a[href='/plans/department/']")
    page.click(f"a[href='/plans/{plan.pk}/']:visible >> nth=0")
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#approve-button")).to_be_visible()
    expect(page.locator("#return-button")).to_be_visible()
    expect(page.locator("a.target-edit")).to_have_count(0)
    page.click("button.lang-btn[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#plan-state")).to_have_text("Submitted")
    page.screenshot(path=str(artifacts / "planning-plan-to-approve-en.png"), full_page=True)
    page.fill("#id_approve-comment", "Good plan; push the cardboard.")
    page.click("#approve-button")
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "approved")
    expect(page.locator("#plan-state")).to_have_text("Approved")
    expect(page.locator(".messages .msg-success")).to_contain_text("approved")
    expect(page.locator("#approved-by")).to_contain_text("Елена Руководитель")
    expect(page.locator("#history")).to_contain_text("Good plan; push the cardboard.")
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED and plan.approved_by == people.users["helen"]
    assert list(plan.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.SUBMITTED,
        EventKind.APPROVED,
    ]
    page.screenshot(path=str(artifacts / "planning-plan-approved-en.png"), full_page=True)

    # The printable page for the meeting
    page.goto(f"{live_server}/plans/{plan.pk}/print/")
    expect(page.locator("#print-button")).to_be_visible()
    expect(page.locator("nav.mainnav")).to_have_count(0)
    page.screenshot(path=str(artifacts / "planning-plan-print-en.png"), full_page=True)


def test_kate_closes_last_months_plan_with_reasons(
    people: Department_, live_server: object, page: Page, artifacts: Path
) -> None:
    kate = people.users["kate"]
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    plan = services.plan_create(
        client=people.clients["K1"], user=kate, period=period_of(last_month, "month")
    )
    revenue = plan.targets.get(kind=TargetKind.REVENUE)
    services.target_update(target=revenue, user=kate, value="900000")
    goal = services.target_add(
        plan=plan, user=kate, kind=TargetKind.QUALITATIVE, description="Встретиться с финдиректором"
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    page.context.set_extra_http_headers({"Accept-Language": "ru-RU,ru;q=0.9"})
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server, "kate")
    page.goto(f"{live_server}/plans/{plan.pk}/")
    page.click("#close-link")
    expect(page.locator(f"#close-target-{revenue.pk}")).to_have_attribute("data-met", "missed")

    # Without the reasons nothing is closed: the rows say what is missing
    page.click("#close-button")
    expect(page.locator(f"#close-target-{revenue.pk} .field-errors")).to_be_visible()
    expect(page.locator(f"#close-target-{goal.pk} .field-errors")).to_be_visible()
    page.screenshot(path=str(artifacts / "planning-close-errors-ru.png"), full_page=True)
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT

    for row in page.locator("tr.close-row[data-met=missed]").all():
        row.locator("textarea").fill("Тендер перенесли на следующий квартал.")
    page.check(f"input[name=achieved_{goal.pk}][value=no]")
    page.fill(f"#id_reason_{goal.pk}", "Финдиректор в отпуске.")
    page.fill("#id_summary", "Спокойный месяц.")
    page.click("#close-button")
    expect(page.locator("#plan-state")).to_have_attribute("data-state", "closed")
    plan.refresh_from_db()
    revenue.refresh_from_db()
    assert plan.state == PlanState.CLOSED and plan.closing_summary == "Спокойный месяц."
    assert revenue.met is False and revenue.miss_reason.startswith("Тендер")
    expect(page.locator("a.target-edit")).to_have_count(0)
    expect(page.locator("#action-add-form")).to_have_count(0)
    page.click("button.lang-btn[value=en]")
    expect(page.locator("#plan-state")).to_have_text("Closed")
    expect(page.locator(f"#target-{revenue.pk} td.result")).to_contain_text("Missed")
    page.screenshot(path=str(artifacts / "planning-plan-closed-en.png"), full_page=True)
