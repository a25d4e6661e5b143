"""One plan's page: who reads it, inline editing of targets and actions (HTMX and plain POST),
the workflow buttons, the close form, the chart's data, the printable page and the XLSX.

alice director · helen head · kate and ken key-account managers · sam sales rep · frank auditor.
K1 kate's key account (a year of sales and some this month), K2 ken's.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.keyaccounts.testing import Department_, department_create
from kam.ledger.months import month_start
from kam.planning import services
from kam.planning.choices import ActionKind, ActionStatus, EventKind, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanAction, PlanEvent, PlanTarget
from kam.planning.periods import period_of
from kam.planning.tests.ledger import sales_import

pytestmark = pytest.mark.django_db

#: What HTMX sends with each of its requests (django-htmx reads it as request.htmx).
HTMX: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def dept(tmp_path: Path) -> Department_:
    """The department; K1 bought paper every month of the last year and twice this month."""
    dept = department_create()
    today = timezone.localdate()
    rows: list[tuple[str, dt.date, str, str, float, float | None, int]] = [
        (
            f"H{back}",
            month_start(today, back) + dt.timedelta(days=4),
            "K1",
            "Бумага",
            10_000,
            6_000,
            0,
        )
        for back in range(1, 13)
    ]
    rows += [
        ("N1", today.replace(day=1), "K1", "Бумага", 4_000, 2_400, 0),
        ("N2", today, "K1", "Бумага", 1_000, 600, 0),
    ]
    sales_import(tmp_path, rows)
    return dept


def logged_in(dept: Department_, login: str) -> Browser:
    browser = Browser()
    browser.force_login(dept.users[login])
    return browser


def last_month() -> dt.date:
    return timezone.localdate().replace(day=1) - dt.timedelta(days=1)


@pytest.fixture
def plan(dept: Department_) -> DevelopmentPlan:
    """kate's draft for K1 this month, as proposed (revenue, margin, paper; a meeting)."""
    return services.plan_create(client=dept.clients["K1"], user=dept.users["kate"])


def url(name: str, plan: DevelopmentPlan, *args: int) -> str:
    return reverse(f"planning:{name}", args=[plan.pk, *args])


def target(plan: DevelopmentPlan, kind: str) -> PlanTarget:
    return plan.targets.get(kind=kind)


def messages_of(response: object) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def submitted(plan: DevelopmentPlan, dept: Department_) -> DevelopmentPlan:
    return services.plan_submit(plan=plan, user=dept.users["kate"])


# --- Reading -----------------------------------------------------------------------------------


def test_the_owner_gets_the_editor(dept: Department_, plan: DevelopmentPlan) -> None:
    response = logged_in(dept, "kate").get(url("detail", plan))
    assert response.status_code == 200
    html = response.content.decode()
    revenue = target(plan, TargetKind.REVENUE)
    assert "ООО «Ключ»" in html
    assert reverse("clients:detail", args=[dept.clients["K1"].pk]) in html
    assert 'id="plan-state" data-state="draft"' in html
    assert url("target_edit", plan, revenue.pk) in html
    assert 'hx-confirm="Remove this target from the plan?"' in html
    assert 'id="target-add-form"' in html and 'id="action-add-form"' in html
    assert 'id="submit-button"' in html
    assert 'id="approve-button"' not in html
    # The proposal's basis in words beside the proposed value.
    assert "Average month of the last 12" in html
    # The traffic light is a dot with words.
    assert re.search(
        r'<span class="light-label" data-light="(\w+)"><span class="light light-\1"', html
    )
    # History: the plan was created.
    assert "Created" in html


def test_the_head_and_the_auditor_read_without_editing(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    for login in ("helen", "frank", "alice"):
        response = logged_in(dept, login).get(url("detail", plan))
        assert response.status_code == 200, login
        html = response.content.decode()
        assert "target-edit" not in html and 'id="target-add-form"' not in html, login
        assert 'id="submit-button"' not in html and "action-edit" not in html, login
        assert 'id="summary-edit"' not in html, login
    # Nobody approves a draft.
    assert (
        'id="approve-button"'
        not in logged_in(dept, "helen").get(url("detail", plan)).content.decode()
    )


def test_others_may_not_read_the_plan(dept: Department_, plan: DevelopmentPlan) -> None:
    # As for a handover outside one's scope: 403 (404 only for a plan that does not exist).
    assert logged_in(dept, "ken").get(url("detail", plan)).status_code == 403
    assert logged_in(dept, "sam").get(url("detail", plan)).status_code == 403
    assert logged_in(dept, "ken").get(url("print", plan)).status_code == 403
    assert logged_in(dept, "ken").get(url("xlsx", plan)).status_code == 403
    missing = reverse("planning:detail", args=[plan.pk + 1000])
    assert logged_in(dept, "kate").get(missing).status_code == 404
    assert Browser().get(url("detail", plan)).status_code == 302  # to the login


def test_the_chart_data_runs_day_by_day(dept: Department_, plan: DevelopmentPlan) -> None:
    html = logged_in(dept, "kate").get(url("detail", plan)).content.decode()
    found = re.search(r'<script id="plan-pace-data" type="application/json">(.*?)</script>', html)
    assert found
    rows = json.loads(found.group(1))
    today = timezone.localdate()
    period = period_of(today, "month")
    assert len(rows) == period.days
    assert rows[0]["day"] == period.start.isoformat()
    assert rows[-1]["day"] == period.end.isoformat()
    revenue = float(target(plan, TargetKind.REVENUE).value or 0)
    assert rows[-1]["target"] == pytest.approx(revenue)
    assert rows[0]["target"] == pytest.approx(revenue / period.days, abs=0.01)
    by_day = {r["day"]: r["actual"] for r in rows}
    # 4 000 on the first day, 5 000 by today (the last sale), nothing after the data date.
    if today.day > 1:
        assert by_day[period.start.isoformat()] == 4_000
    assert by_day[today.isoformat()] == 5_000
    assert all(r["actual"] is None for r in rows if r["day"] > today.isoformat())
    assert 'window.kamCharts.planPace("plan-pace", "plan-pace-data"' in html


# --- Inline editing of targets -----------------------------------------------------------------


def test_htmx_edit_swaps_the_row_for_its_form_and_back(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    kate = logged_in(dept, "kate")
    revenue = target(plan, TargetKind.REVENUE)
    form = kate.get(url("target_edit", plan, revenue.pk), **HTMX)
    assert form.status_code == 200
    body = form.content.decode()
    assert body.lstrip().startswith(f'<tr id="target-{revenue.pk}"')
    assert 'name="value"' in body and f'form="target-form-{revenue.pk}"' in body
    assert "<html" not in body
    saved = kate.post(url("target_edit", plan, revenue.pk), {"value": "123 456"}, **HTMX)
    assert saved.status_code == 200
    row = saved.content.decode()
    assert row.lstrip().startswith(f'<tr id="target-{revenue.pk}"')
    assert "123,456" in row and 'name="value"' not in row
    assert "changed" in row  # differs from the proposal now
    # The chart's panel comes along out of band: its target line ends at the new target.
    assert '<template><section class="card plan-pace" id="pace" hx-swap-oob="true">' in row
    pace = re.search(r'<script id="plan-pace-data" type="application/json">(.*?)</script>', row)
    assert pace and json.loads(pace.group(1))[-1]["target"] == 123456
    revenue.refresh_from_db()
    assert revenue.value == Decimal("123456")
    cancel = kate.get(url("target_edit", plan, revenue.pk) + "?cancel=1", **HTMX)
    assert 'name="value"' not in cancel.content.decode()


def test_an_invalid_value_returns_the_form_with_the_error_and_saves_nothing(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    kate = logged_in(dept, "kate")
    revenue = target(plan, TargetKind.REVENUE)
    before = revenue.value
    response = kate.post(url("target_edit", plan, revenue.pk), {"value": "a lot"}, **HTMX)
    assert response.status_code == 422
    body = response.content.decode()
    assert 'name="value"' in body and "is not a number" in body
    assert 'class="field-errors"' in body
    response = kate.post(url("target_edit", plan, revenue.pk), {"value": "-5"}, **HTMX)
    assert response.status_code == 422 and "A target is zero or more." in response.content.decode()
    revenue.refresh_from_db()
    assert revenue.value == before


def test_without_javascript_the_edit_is_a_page_and_a_redirect(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    kate = logged_in(dept, "kate")
    margin = target(plan, TargetKind.MARGIN)
    page = kate.get(url("target_edit", plan, margin.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and f'id="target-form-{margin.pk}"' in html
    invalid = kate.post(url("target_edit", plan, margin.pk), {"value": ""})
    assert invalid.status_code == 400
    assert "Give the target a number." in invalid.content.decode()
    saved = kate.post(url("target_edit", plan, margin.pk), {"value": "50000,5"})
    assert saved.status_code == 302
    assert saved["Location"] == url("detail", plan) + f"#target-{margin.pk}"
    margin.refresh_from_db()
    assert margin.value == Decimal("50000.50")


def test_adding_and_removing_targets(dept: Department_, plan: DevelopmentPlan) -> None:
    kate = logged_in(dept, "kate")
    added = kate.post(
        url("target_add", plan),
        {"new-target-kind": TargetKind.QUALITATIVE, "new-target-description": "Meet the CFO"},
        **HTMX,
    )
    assert added.status_code == 200
    body = added.content.decode()
    assert body.lstrip().startswith('<section class="card plan-targets" id="targets">')
    assert "Meet the CFO" in body
    goal = plan.targets.get(kind=TargetKind.QUALITATIVE)
    duplicate = kate.post(
        url("target_add", plan),
        {"new-target-kind": TargetKind.REVENUE, "new-target-value": "1"},
        **HTMX,
    )
    assert duplicate.status_code == 422
    assert "The plan already has this target." in duplicate.content.decode()
    nameless = kate.post(
        url("target_add", plan),
        {"new-target-kind": TargetKind.GROUP_REVENUE, "new-target-value": "1000"},
    )
    assert nameless.status_code == 400 and "Name the product group." in nameless.content.decode()
    removed = kate.post(url("target_remove", plan, goal.pk), **HTMX)
    assert removed.status_code == 200 and removed.content == b""
    assert not plan.targets.filter(pk=goal.pk).exists()
    # Only the owner writes: the head may not.
    revenue = target(plan, TargetKind.REVENUE)
    helen = logged_in(dept, "helen")
    assert (
        helen.post(url("target_edit", plan, revenue.pk), {"value": "1"}, **HTMX).status_code == 403
    )
    assert helen.post(url("target_remove", plan, revenue.pk)).status_code == 403
    assert helen.get(url("target_edit", plan, revenue.pk), **HTMX).status_code == 403


def test_the_goal_is_edited_inline(dept: Department_, plan: DevelopmentPlan) -> None:
    kate = logged_in(dept, "kate")
    form = kate.get(url("summary", plan), **HTMX)
    assert form.status_code == 200 and 'name="summary"' in form.content.decode()
    saved = kate.post(url("summary", plan), {"summary": "Win the paper tender."}, **HTMX)
    assert saved.status_code == 200
    assert "Win the paper tender." in saved.content.decode()
    plan.refresh_from_db()
    assert plan.summary == "Win the paper tender."
    assert logged_in(dept, "frank").post(url("summary", plan), {"summary": "x"}).status_code == 403
    # Without JavaScript: the page with the goal's form open, then a redirect.
    page = kate.get(url("summary", plan)).content.decode()
    assert "<html" in page and 'name="summary"' in page
    saved = kate.post(url("summary", plan), {"summary": "Two tenders."})
    assert saved.status_code == 302 and saved["Location"].endswith("#summary")


def test_targets_change_only_in_a_draft(dept: Department_, plan: DevelopmentPlan) -> None:
    submitted(plan, dept)
    kate = logged_in(dept, "kate")
    revenue = target(plan, TargetKind.REVENUE)
    html = kate.get(url("detail", plan)).content.decode()
    assert "target-edit" not in html and 'id="target-add-form"' not in html
    # Actions still change while the plan runs.
    assert 'id="action-add-form"' in html
    refused = kate.post(url("target_edit", plan, revenue.pk), {"value": "1"}, **HTMX)
    assert refused.status_code == 422
    assert "targets change only in a draft" in refused.content.decode()
    plain = kate.post(url("target_edit", plan, revenue.pk), {"value": "1"})
    assert plain.status_code == 302
    assert any("only in a draft" in m for m in messages_of(plain))
    revenue.refresh_from_db()
    assert revenue.value != Decimal(1)


# --- Actions -----------------------------------------------------------------------------------


def test_the_owner_adds_and_edits_actions(dept: Department_, plan: DevelopmentPlan) -> None:
    kate = logged_in(dept, "kate")
    today = timezone.localdate()
    added = kate.post(
        url("action_add", plan),
        {
            "new-action-kind": ActionKind.CALL,
            "new-action-title": "Call the buyer",
            "new-action-due": today.isoformat(),
            "new-action-responsible": dept.employees["kate"].pk,
        },
        **HTMX,
    )
    assert added.status_code == 200
    assert added.content.decode().lstrip().startswith('<section class="card plan-actions"')
    action = plan.actions.get(title="Call the buyer")
    assert action.responsible == dept.employees["kate"]
    empty = kate.post(url("action_add", plan), {"new-action-kind": ActionKind.CALL}, **HTMX)
    assert empty.status_code == 422
    assert "Say what is to be done." in empty.content.decode()
    form = kate.get(url("action_edit", plan, action.pk), **HTMX)
    assert 'name="title"' in form.content.decode()
    page = kate.get(url("action_edit", plan, action.pk)).content.decode()
    assert "<html" in page and f'id="action-form-{action.pk}"' in page
    done = kate.post(
        url("action_edit", plan, action.pk),
        {
            "kind": ActionKind.CALL,
            "title": "Call the buyer",
            "due": today.isoformat(),
            "responsible": dept.employees["kate"].pk,
            "status": ActionStatus.DONE,
            "outcome": "",
        },
        **HTMX,
    )
    assert done.status_code == 422
    assert "Say what came of it" in done.content.decode()
    done = kate.post(
        url("action_edit", plan, action.pk),
        {
            "kind": ActionKind.CALL,
            "title": "Call the buyer",
            "due": today.isoformat(),
            "responsible": dept.employees["kate"].pk,
            "status": ActionStatus.DONE,
            "outcome": "Agreed a meeting.",
        },
        **HTMX,
    )
    assert done.status_code == 200
    row = done.content.decode()
    assert row.lstrip().startswith(f'<tr id="action-{action.pk}"') and "Agreed a meeting." in row
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.done_on == today
    # A done action stays: no remove button, and removing is refused.
    assert "action-remove" not in row
    refused = kate.post(url("action_remove", plan, action.pk))
    assert refused.status_code == 302 and PlanAction.objects.filter(pk=action.pk).exists()


def test_the_employee_responsible_for_an_action_records_its_outcome(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    action = services.action_add(
        plan=plan,
        user=dept.users["kate"],
        kind=ActionKind.MEETING,
        title="Meeting with the director",
        due=timezone.localdate(),
        responsible=dept.employees["helen"],
    )
    helen = logged_in(dept, "helen")
    html = helen.get(url("detail", plan)).content.decode()
    assert "action-record" in html and "action-edit" not in html
    form = helen.get(url("action_edit", plan, action.pk), **HTMX).content.decode()
    assert 'name="outcome"' in form and 'name="title"' not in form
    saved = helen.post(
        url("action_edit", plan, action.pk),
        {"status": ActionStatus.DONE, "outcome": "They want a discount.", "title": "Changed"},
        **HTMX,
    )
    assert saved.status_code == 200
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.title == "Meeting with the director"
    assert action.outcome == "They want a discount."
    meeting = plan.actions.exclude(pk=action.pk).first()
    assert meeting is not None
    assert helen.get(url("action_edit", plan, meeting.pk), **HTMX).status_code == 403


# --- Workflow ----------------------------------------------------------------------------------


def test_the_manager_submits_and_may_not_approve_the_head_approves(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    kate = logged_in(dept, "kate")
    response = kate.post(url("submit", plan))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    assert kate.post(url("approve", plan)).status_code == 403
    assert kate.post(url("return", plan), {"return-comment": "x"}).status_code == 403
    html = logged_in(dept, "helen").get(url("detail", plan)).content.decode()
    assert 'id="approve-button"' in html and 'id="return-button"' in html
    approved = logged_in(dept, "helen").post(url("approve", plan), {"approve-comment": "Good."})
    assert approved.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.APPROVED and plan.approved_by == dept.users["helen"]
    event = plan.events.get(kind=EventKind.APPROVED)
    assert event.comment == "Good."
    html = kate.get(url("detail", plan)).content.decode()
    assert 'data-state="approved"' in html and "Елена Руководитель" in html
    assert kate.get(url("submit", plan)).status_code == 405


def test_submitting_an_empty_plan_says_why(dept: Department_) -> None:
    plan = services.plan_create(client=dept.clients["K2"], user=dept.users["ken"])
    plan.targets.all().delete()
    response = logged_in(dept, "ken").post(url("submit", plan))
    assert response.status_code == 302
    assert any("at least one measurable target" in m for m in messages_of(response))
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT


def test_a_return_needs_a_comment_which_the_manager_then_sees(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    submitted(plan, dept)
    helen = logged_in(dept, "helen")
    refused = helen.post(url("return", plan), {"return-comment": "  "})
    assert refused.status_code == 400
    assert "Say what to rework" in refused.content.decode()
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    returned = helen.post(url("return", plan), {"return-comment": "Revenue is too modest."})
    assert returned.status_code == 302
    plan.refresh_from_db()
    assert plan.state == PlanState.DRAFT and plan.return_comment == "Revenue is too modest."
    html = logged_in(dept, "kate").get(url("detail", plan)).content.decode()
    assert 'id="return-comment"' in html and "Revenue is too modest." in html
    assert "target-edit" in html  # editable again


# --- Closing -----------------------------------------------------------------------------------


@pytest.fixture
def past(dept: Department_) -> DevelopmentPlan:
    """kate's plan for last month: revenue far beyond the sales (missed), margin 1 (met), and a
    qualitative goal."""
    kate = dept.users["kate"]
    plan = services.plan_create(
        client=dept.clients["K1"], user=kate, period=period_of(last_month(), "month")
    )
    services.target_update(target=target(plan, TargetKind.REVENUE), user=kate, value="900000")
    services.target_update(target=target(plan, TargetKind.MARGIN), user=kate, value="1")
    services.target_add(
        plan=plan, user=kate, kind=TargetKind.QUALITATIVE, description="Meet the CFO"
    )
    return plan


def test_the_close_form_refuses_missing_reasons_and_writes_nothing(
    dept: Department_, past: DevelopmentPlan
) -> None:
    kate = logged_in(dept, "kate")
    assert 'id="close-link"' in kate.get(url("detail", past)).content.decode()
    page = kate.get(url("close", past))
    assert page.status_code == 200
    html = page.content.decode()
    revenue = target(past, TargetKind.REVENUE)
    margin = target(past, TargetKind.MARGIN)
    goal = target(past, TargetKind.QUALITATIVE)
    assert f'id="close-target-{revenue.pk}"' in html
    assert re.search(rf'id="close-target-{revenue.pk}"[^>]*data-met="missed"', html)
    assert re.search(rf'id="close-target-{margin.pk}"[^>]*data-met="met"', html)
    assert f'name="achieved_{goal.pk}"' in html
    response = kate.post(url("close", past), {"summary": "A slow month."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "was missed: say why" in html and "Say whether the goal was achieved." in html
    past.refresh_from_db()
    assert past.state == PlanState.DRAFT and past.closing_summary == ""
    assert not past.targets.filter(actual__isnull=False).exists()
    assert not past.events.filter(kind=EventKind.CLOSED).exists()


def test_the_close_form_closes_with_reasons(dept: Department_, past: DevelopmentPlan) -> None:
    revenue = target(past, TargetKind.REVENUE)
    margin = target(past, TargetKind.MARGIN)
    goal = target(past, TargetKind.QUALITATIVE)
    missed = {t.pk: "The tender moved." for t in past.targets.exclude(pk__in=[margin.pk, goal.pk])}
    data = {f"reason_{pk}": text for pk, text in missed.items()}
    data |= {
        f"achieved_{goal.pk}": "no",
        f"reason_{goal.pk}": "The CFO was away.",
        "summary": "Slow.",
    }
    response = logged_in(dept, "kate").post(url("close", past), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    past.refresh_from_db()
    assert past.state == PlanState.CLOSED and past.closing_summary == "Slow."
    revenue.refresh_from_db()
    margin.refresh_from_db()
    goal.refresh_from_db()
    assert revenue.met is False and revenue.miss_reason == "The tender moved."
    assert revenue.actual == Decimal("10000.00")
    assert margin.met is True and margin.miss_reason == ""
    assert goal.met is False and goal.miss_reason == "The CFO was away."


def test_a_closed_plan_shows_no_edit_controls_and_refuses_changes(
    dept: Department_, past: DevelopmentPlan
) -> None:
    results = {
        t.pk: services.TargetResult(achieved=True, reason="Too high.") for t in past.targets.all()
    }
    services.plan_close(plan=past, user=dept.users["kate"], results=results)
    kate = logged_in(dept, "kate")
    html = kate.get(url("detail", past)).content.decode()
    assert 'data-state="closed"' in html
    for control in (
        "target-edit",
        "target-remove",
        'id="target-add-form"',
        "action-edit",
        'id="action-add-form"',
        'id="submit-button"',
        'id="close-link"',
        'id="summary-edit"',
    ):
        assert control not in html, control
    assert "Too high." in html and "Missed" in html
    met = past.targets.filter(met=True).count()
    assert f"{met} of {past.targets.count()} targets met" in html
    revenue = target(past, TargetKind.REVENUE)
    action = past.actions.first()
    assert action is not None
    refused = kate.post(url("target_edit", past, revenue.pk), {"value": "1"})
    assert refused.status_code == 302
    assert any("The plan is closed" in m for m in messages_of(refused))
    assert (
        kate.post(url("target_edit", past, revenue.pk), {"value": "1"}, **HTMX).status_code == 422
    )
    assert kate.post(url("target_remove", past, revenue.pk)).status_code == 302
    assert (
        kate.post(
            url("action_add", past),
            {
                "new-action-kind": ActionKind.CALL,
                "new-action-title": "x",
                "new-action-due": last_month().isoformat(),
            },
        ).status_code
        == 302
    )
    assert kate.post(url("action_edit", past, action.pk), {"status": "done"}).status_code == 302
    assert kate.post(url("close", past)).status_code == 302
    assert (
        logged_in(dept, "helen").post(url("return", past), {"return-comment": "x"}).status_code
        == 302
    )
    revenue.refresh_from_db()
    past.refresh_from_db()
    assert revenue.value == Decimal("900000") and past.targets.filter(pk=revenue.pk).exists()
    assert past.actions.count() == PlanAction.objects.filter(plan=past).count()
    assert past.state == PlanState.CLOSED
    assert not past.actions.filter(title="x").exists()
    assert PlanEvent.objects.filter(plan=past, kind=EventKind.RETURNED).count() == 0


def test_the_close_form_waits_for_the_period_end(dept: Department_, plan: DevelopmentPlan) -> None:
    kate = logged_in(dept, "kate")
    html = kate.get(url("detail", plan)).content.decode()
    assert 'id="close-link"' not in html
    response = kate.get(url("close", plan))
    assert response.status_code == 302
    assert any("a plan closes after its period" in m for m in messages_of(response))
    assert logged_in(dept, "frank").get(url("close", plan)).status_code == 403


# --- Print and XLSX ----------------------------------------------------------------------------


def test_the_printable_page(dept: Department_, plan: DevelopmentPlan) -> None:
    response = logged_in(dept, "helen").get(url("print", plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="print-button"' in html and "window.print()" in html
    assert "mainnav" not in html and "@media print" not in html  # the print CSS is in kam.css
    assert "Development plan: ООО «Ключ»" in html
    assert "Катя Ключевая" in html and "Revenue" in html and "Meeting with the client" in html


def test_the_xlsx_has_the_header_targets_and_actions(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    services.target_update(
        target=target(plan, TargetKind.REVENUE), user=dept.users["kate"], value="150000"
    )
    response = logged_in(dept, "kate").get(url("xlsx", plan))
    assert response.status_code == 200
    period = period_of(timezone.localdate(), "month")
    assert response["Content-Disposition"] == f'attachment; filename="plan-K1-{period.code}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content))["Plan"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["Development plan", "ООО «Ключ»"]
    facts = {r[0]: r[1] for r in rows if r and r[0]}
    assert facts["Client code"] == "K1" and facts["Owner"] == "Катя Ключевая"
    assert facts["State"] == "Draft"
    header = next(i for i, r in enumerate(rows) if r[0] == "Target")
    assert rows[header][:6] == [
        "Target",
        "Product group / description",
        "Target value",
        "Proposed value",
        "Actual",
        "Forecast",
    ]
    revenue = next(r for r in rows[header + 1 :] if r[0] == "Revenue")
    assert revenue[2] == 150000 and revenue[4] == 5000
    actions = next(i for i, r in enumerate(rows) if r[0] == "Action")
    assert rows[actions + 1][1] == "Meeting with the client"
    assert isinstance(rows[actions + 1][2], dt.datetime)


def test_an_employee_outside_the_department_given_an_action_reads_the_plan_and_records_it(
    dept: Department_, plan: DevelopmentPlan
) -> None:
    sam = logged_in(dept, "sam")
    assert sam.get(url("detail", plan)).status_code == 403
    action = services.action_add(
        plan=plan,
        user=dept.users["kate"],
        kind=ActionKind.PRESENTATION,
        title="Show the logistics offer",
        due=timezone.localdate(),
        responsible=dept.employees["sam"],
    )
    assert sam.get(url("detail", plan)).status_code == 200
    saved = sam.post(
        url("action_edit", plan, action.pk),
        {"status": ActionStatus.DONE, "outcome": "They liked it."},
        **HTMX,
    )
    assert saved.status_code == 200
    action.refresh_from_db()
    assert (action.status, action.outcome) == (ActionStatus.DONE, "They liked it.")
