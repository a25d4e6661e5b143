"""Development plans in the rest of the product: a handover moves the open plans, the briefing
lists the plan's open actions, the board and "My key accounts" show each account's plan and
light (or "Propose plan"), the client card has the plans panel and the activity log.

The department of kam.keyaccounts.tests.pages: K1 kate's, K2 ken's (both key accounts with
sales), P1 and S1 sam's, S2 ken's standard client, G1 a key account without anyone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.clients.models import Client
from kam.keyaccounts.briefing import briefing_for
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.display import briefing_sections
from kam.keyaccounts.services import handover_record
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in
from kam.ledger.models import SalesDocument
from kam.planning.choices import ActionKind, ActionStatus, EventKind, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanAction
from kam.planning.periods import Period
from kam.planning.services import (
    TargetResult,
    action_add,
    action_update,
    current_period,
    plan_approve,
    plan_close,
    plan_create,
    plan_submit,
    target_remove,
    target_update,
)

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


def make_plan(
    dept: Department_, code: str, period: Period | None = None, *, revenue: int | None = None
) -> DevelopmentPlan:
    """A proposed plan of the account's manager; with ``revenue``, that is its only target."""
    client = Client.objects.select_related("responsible__user").get(pk=dept.clients[code].pk)
    assert client.responsible is not None
    user = client.responsible.user
    plan = plan_create(client=client, user=user, period=period or current_period())
    if revenue is not None:
        for target in plan.targets.exclude(kind=TargetKind.REVENUE):
            target_remove(target=target, user=user)
        target_update(
            target=plan.targets.get(kind=TargetKind.REVENUE), user=user, value=Decimal(revenue)
        )
    return plan


def approve(dept: Department_, plan: DevelopmentPlan) -> DevelopmentPlan:
    plan_submit(plan=plan, user=plan.owner.user)
    return plan_approve(plan=plan, user=dept.users["helen"])


def do(plan: DevelopmentPlan, title: str, done_on: dt.date, outcome: str) -> PlanAction:
    action = action_add(
        plan=plan, user=plan.owner.user, kind=ActionKind.CALL, title=title, due=done_on
    )
    return action_update(
        action=action,
        user=plan.owner.user,
        status=ActionStatus.DONE,
        outcome=outcome,
        done_on=done_on,
    )


def closed_last_period(dept: Department_, code: str) -> DevelopmentPlan:
    """Last period's plan, approved and closed with its results (every miss explained)."""
    plan = approve(dept, make_plan(dept, code, current_period().previous()))
    return plan_close(
        plan=plan,
        user=dept.users["helen"],
        results={
            t.pk: TargetResult(achieved=True, reason="Клиент перенёс заказ на следующий месяц")
            for t in plan.targets.all()
        },
        as_of=timezone.localdate(),
    )


def data_up_to_today(dept: Department_) -> None:
    """A sales document of today: the ledger reaches today, so the period's pace is measured."""
    today = timezone.localdate()
    SalesDocument.objects.create(
        doc_no="D-TODAY",
        date=today,
        client=dept.clients["K1"],
        due_date=today + dt.timedelta(days=30),
        amount=Decimal(100),
    )


# --- A handover ----------------------------------------------------------------------------------


def test_a_handover_moves_the_open_plan_and_its_planned_actions(dept: Department_) -> None:
    closed = closed_last_period(dept, "K1")
    plan = make_plan(dept, "K1")
    kate, ken, helen = (dept.employees[n] for n in ("kate", "ken", "helen"))
    today = timezone.localdate()
    done = do(plan, "Позвонить закупщику", today, "Договорились о встрече")
    helped = action_add(
        plan=plan,
        user=dept.users["kate"],
        kind=ActionKind.PRESENTATION,
        title="Презентация новинок",
        due=today,
        responsible=helen,
    )
    planned = list(
        plan.actions.filter(status=ActionStatus.PLANNED, responsible=kate).values_list(
            "pk", flat=True
        )
    )
    assert planned

    handover_record(
        client=dept.clients["K1"], to_manager=ken, user=dept.users["helen"], cause=Cause.OVERLOAD
    )

    plan.refresh_from_db()
    assert plan.owner == ken
    assert all(a.responsible_id == ken.pk for a in PlanAction.objects.filter(pk__in=planned))
    done.refresh_from_db()
    helped.refresh_from_db()
    assert done.responsible == kate, "what kate did stays hers"
    assert helped.responsible == helen, "an action of someone else stays theirs"
    event = plan.events.get(kind=EventKind.OWNER_CHANGED)
    assert event.comment == f"{kate.name} → {ken.name}"
    closed.refresh_from_db()
    assert closed.state == PlanState.CLOSED and closed.owner == kate
    assert not closed.events.filter(kind=EventKind.OWNER_CHANGED).exists()


# --- The briefing --------------------------------------------------------------------------------


def test_the_briefing_lists_the_open_actions_of_the_current_plan(dept: Department_) -> None:
    closed_last_period(dept, "K1")
    plan = approve(dept, make_plan(dept, "K1"))
    today = timezone.localdate()
    do(plan, "Уже сделано", today, "Готово")
    action_add(
        plan=plan,
        user=dept.users["kate"],
        kind=ActionKind.PROPOSAL,
        title="КП на упаковку",
        due=today,
        responsible=dept.employees["helen"],
    )
    items = briefing_for(dept.clients["K1"], today)["sections"]["plan"]
    open_actions = list(plan.actions.filter(status=ActionStatus.PLANNED).order_by("due", "id"))
    assert [i["title"] for i in items] == [a.title for a in open_actions]
    assert "Уже сделано" not in [i["title"] for i in items]
    proposal = next(i for i in items if i["title"] == "КП на упаковку")
    assert proposal == {
        "period": current_period().code,
        "state": "approved",
        "kind": "proposal",
        "title": "КП на упаковку",
        "due": today.isoformat(),
        "responsible": "Елена Руководитель",
    }

    # The receiver reads it on the handover's page, with the plan's period and state.
    handover = handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
    )
    assert handover.briefing["sections"]["plan"] == items
    html = (
        logged_in(dept, "ken")
        .get(reverse("keyaccounts:handover_detail", args=[handover.pk]))
        .content.decode()
    )
    section = html.split('data-section="plan"', 1)[1].split('<div class="briefing-section"', 1)[0]
    assert "Development plan: open actions" in html
    assert f"Plan for {current_period().label}, approved." in section
    assert "КП на упаковку" in section and "Commercial proposal" in section
    assert "Елена Руководитель" in section and "Уже сделано" not in section


def test_the_briefing_without_a_plan_or_without_open_actions(dept: Department_) -> None:
    today = timezone.localdate()
    assert briefing_for(dept.clients["K2"], today)["sections"]["plan"] == []
    closed_last_period(dept, "K2")  # a closed plan is history, not open work
    items = briefing_for(dept.clients["K2"], today)["sections"]["plan"]
    assert items == []
    (section,) = [s for s in briefing_sections({"sections": {"plan": items}})]
    assert section.rows == [] and section.note == ""
    assert section.empty == "No open development plan."

    plan = make_plan(dept, "K2")
    plan.actions.all().delete()
    items = briefing_for(dept.clients["K2"], today)["sections"]["plan"]
    assert items == [{"period": current_period().code, "state": "draft"}]
    (section,) = briefing_sections({"sections": {"plan": items}})
    assert section.rows == []
    assert section.note == f"Plan for {current_period().label}, draft."
    assert section.empty == "The plan has no open actions."


# --- The board and "My key accounts" -------------------------------------------------------------


def cell(html: str, client: Client) -> str:
    """The plan cell of the client's row among the accounts (the last table of the page)."""
    row = html.rsplit(f'data-client="{client.pk}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="nowrap plan-cell"', 1)[1].split("</td>", 1)[0]


def test_the_board_shows_each_accounts_plan_and_light(dept: Department_) -> None:
    data_up_to_today(dept)
    k1 = approve(dept, make_plan(dept, "K1", revenue=100_000_000))
    board_url = reverse("keyaccounts:board")
    html = logged_in(dept, "helen").get(board_url).content.decode()
    assert f"Plan, {current_period().label}" in html
    k1_cell = cell(html, dept.clients["K1"])
    assert reverse("planning:detail", args=[k1.pk]) in k1_cell
    assert 'data-plan-state="approved"' in k1_cell and "Approved" in k1_cell
    assert 'data-light="red"' in k1_cell and "Off track" in k1_cell
    k2_cell = cell(html, dept.clients["K2"])
    assert 'data-plan-state="missing"' in k2_cell and "No plan" in k2_cell
    assert reverse("planning:create", args=[dept.clients["K2"].pk]) in k2_cell
    assert "Propose plan" in k2_cell
    # A standard account has no plan to make.
    assert "Propose plan" not in cell(html, dept.clients["S2"])
    assert 'data-plan-state="missing"' not in cell(html, dept.clients["S2"])
    # The auditor reads the states without the button.
    html = logged_in(dept, "frank").get(board_url).content.decode()
    assert 'data-light="red"' in cell(html, dept.clients["K1"])
    assert "Propose plan" not in html


def test_my_accounts_show_the_plan_its_light_and_the_next_action(dept: Department_) -> None:
    data_up_to_today(dept)
    plan = make_plan(dept, "K1", revenue=1)
    first = action_add(
        plan=plan,
        user=dept.users["kate"],
        kind=ActionKind.CALL,
        title="Первый звонок месяца",
        due=plan.period_start,
    )
    html = logged_in(dept, "kate").get(reverse("keyaccounts:mine")).content.decode()
    k1_cell = cell(html, dept.clients["K1"])
    assert 'data-plan-state="draft"' in k1_cell and "Draft" in k1_cell
    assert 'data-light="green"' in k1_cell and "On track" in k1_cell
    assert reverse("planning:detail", args=[plan.pk]) in k1_cell
    row = html.split(f'data-client="{dept.clients["K1"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert first.title in row.split('class="next-action"', 1)[1]
    assert "Next action" in html
    # ken's key account has no plan yet: he proposes it himself.
    html = logged_in(dept, "ken").get(reverse("keyaccounts:mine")).content.decode()
    k2_cell = cell(html, dept.clients["K2"])
    assert "No plan" in k2_cell and "Propose plan" in k2_cell
    assert f'name="period" value="{current_period().code}"' in k2_cell


def test_propose_plan_from_the_board_makes_the_plan(dept: Department_) -> None:
    browser = logged_in(dept, "helen")
    board_url = reverse("keyaccounts:board")
    response = browser.post(
        reverse("planning:create", args=[dept.clients["K2"].pk]),
        {"period": current_period().code, "next": board_url},
    )
    plan = DevelopmentPlan.objects.get(client=dept.clients["K2"])
    assert response.status_code == 302
    assert plan.owner == dept.employees["ken"] and plan.state == PlanState.DRAFT
    html = browser.get(board_url).content.decode()
    assert 'data-plan-state="draft"' in cell(html, dept.clients["K2"])


# --- The client card -----------------------------------------------------------------------------


def plans_panel(dept: Department_, login: str, code: str) -> str:
    response = logged_in(dept, login).get(reverse("clients:detail", args=[dept.clients[code].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    if 'id="plans"' not in html:
        return ""
    return html.split('id="plans"', 1)[1].split("</section>", 1)[0]


def test_the_card_shows_the_current_plan_earlier_ones_and_the_activity_log(
    dept: Department_,
) -> None:
    data_up_to_today(dept)
    earlier = closed_last_period(dept, "K1")
    plan = approve(dept, make_plan(dept, "K1", revenue=100_000_000))
    today = timezone.localdate()
    old = earlier.actions.order_by("due", "id").first()
    assert old is not None
    PlanAction.objects.filter(pk=old.pk).update(
        status=ActionStatus.DONE, outcome="Встреча прошла", done_on=earlier.period_start
    )
    do(plan, "Звонок по новой поставке", today, "Клиент подтвердил заказ")

    html = plans_panel(dept, "kate", "K1")
    assert "Development plans" in html
    current = html.split("current-plan", 1)[1].split("</dl>", 1)[0]
    assert reverse("planning:detail", args=[plan.pk]) in current
    assert current_period().label in current
    assert 'data-plan-state="approved"' in current and 'data-light="red"' in current
    assert "100,000,000" in current  # the revenue target beside its actual
    assert "1 of" in current  # actions done
    others = html.split("Other plans", 1)[1].split("Activity log", 1)[0]
    assert reverse("planning:detail", args=[earlier.pk]) in others
    assert Period(earlier.period_kind, earlier.period_start, earlier.period_end).label in others
    assert "Closed" in others and "targets met" in others
    log = html.split("activity-log", 1)[1]
    # Newest first: this period's call, then last period's meeting.
    assert log.index("Клиент подтвердил заказ") < log.index("Встреча прошла")
    assert "Propose plan" not in html


def test_the_activity_log_keeps_the_latest_ten(dept: Department_) -> None:
    plan = make_plan(dept, "K1")
    start = plan.period_start
    today = timezone.localdate()
    for day in range(12):
        done_on = min(start + dt.timedelta(days=day), today)
        do(plan, f"Дело {day:02}", done_on, f"Итог {day:02}")
    log = plans_panel(dept, "helen", "K1").split("activity-log", 1)[1]
    assert log.count("data-action=") == 10


def test_the_card_offers_propose_plan_to_who_may(dept: Department_) -> None:
    url_of = reverse("planning:create", args=[dept.clients["K2"].pk])
    for login in ("helen", "ken", "alice"):
        html = plans_panel(dept, login, "K2")
        assert f"No plan for {current_period().label}." in html
        assert url_of in html and "Propose plan" in html, login
        assert "Nothing done with the client under a plan yet." in html
    html = plans_panel(dept, "frank", "K2")
    assert "Development plans" in html and "Propose plan" not in html
    # A standard client without plans has no panel.
    assert plans_panel(dept, "sam", "S1") == ""


def test_the_card_shows_only_the_plans_the_user_may_read(dept: Department_, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KAM_MANAGERS_READ_ALL_CLIENTS = True
    plan = make_plan(dept, "K1")
    do(plan, "Секретная встреча", timezone.localdate(), "Итог встречи")
    # ken reads kate's client but not her plans.
    html = plans_panel(dept, "ken", "K1")
    assert reverse("planning:detail", args=[plan.pk]) not in html
    assert "Секретная встреча" not in html
    assert "Секретная встреча" in plans_panel(dept, "kate", "K1")
