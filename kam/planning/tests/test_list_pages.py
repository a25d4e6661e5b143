"""The planning lists: my plans, the department's plans (chips, filters, sorting, bulk approve and
return, the chart, exports), proposing plans in one click, and the planning settings.

alice director · helen head · kate and ken key-account managers · sam sales rep · frank auditor.
K1 kate's key account, K2 ken's, G1 a key account without anyone, P1 and S1 not key accounts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.audit.models import AuditEntry
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.services import handover_record
from kam.keyaccounts.testing import Department_, department_create
from kam.planning import services
from kam.planning.choices import PeriodKind, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanningSettings
from kam.planning.tests.ledger import sales_import

pytestmark = pytest.mark.django_db

MINE = reverse("planning:mine")
DEPARTMENT = reverse("planning:department")
SETTINGS = reverse("planning:settings")
CREATE_MISSING = reverse("planning:create_missing")


@pytest.fixture
def dept(tmp_path: Path) -> Department_:
    """The department with this month's first sales of K1 and K2 imported."""
    dept = department_create()
    first = timezone.localdate().replace(day=1)
    sales_import(
        tmp_path,
        [
            ("D1", first, "K1", "Бумага", 50_000, 30_000, 10),
            ("D2", first, "K2", "Бумага", 20_000, 12_000, 10),
        ],
    )
    return dept


def logged_in(dept: Department_, login: str) -> Browser:
    browser = Browser()
    browser.force_login(dept.users[login])
    return browser


def revenue_target(plan: DevelopmentPlan, login: str, dept: Department_, value: str) -> None:
    user = dept.users[login]
    existing = plan.targets.filter(kind=TargetKind.REVENUE).first()
    if existing is not None:
        services.target_update(target=existing, user=user, value=value)
    else:
        services.target_add(plan=plan, user=user, kind=TargetKind.REVENUE, value=value)


def planned(dept: Department_, code: str, login: str, target: str = "100000") -> DevelopmentPlan:
    plan = services.plan_create(client=dept.clients[code], user=dept.users[login])
    revenue_target(plan, login, dept, target)
    return plan


def submitted(dept: Department_, code: str, login: str, target: str = "100000") -> DevelopmentPlan:
    plan = planned(dept, code, login, target)
    if not plan.actions.exists():
        services.action_add(
            plan=plan,
            user=dept.users[login],
            kind="meeting",
            title="Встреча",
            due=timezone.localdate(),
        )
    return services.plan_submit(plan=plan, user=dept.users[login])


def key_account(dept: Department_, code: str, name: str, login: str) -> Client:
    client = Client.objects.create(
        code=code, name=name, status=ClientStatus.KEY, responsible=dept.employees[login]
    )
    dept.clients[code] = client
    return client


def row_of(html: str, client: Client) -> str:
    return html.split(f'data-client="{client.pk}"', 1)[1].split("</tr>", 1)[0]


def texts(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- My plans ----------------------------------------------------------------------------------


def test_my_plans_show_own_accounts_with_their_state_and_the_propose_button(
    dept: Department_,
) -> None:
    key_account(dept, "K3", "ООО «Третий ключ»", "kate")
    plan = planned(dept, "K1", "kate", "120000")
    response = logged_in(dept, "kate").get(MINE)
    assert response.status_code == 200
    html = response.content.decode()
    assert [r.client.code for r in response.context["rows"]] == ["K1", "K3"]
    assert "АО «Второй ключ»" not in html  # ken's
    k1 = row_of(html, dept.clients["K1"])
    assert 'data-state="draft"' in k1 and "plan-state-draft" in k1
    assert reverse("planning:detail", args=[plan.pk]) in k1
    assert "120,000" in k1 and "50,000" in k1  # target and this month's actual
    assert "Propose plan" not in k1
    k3 = row_of(html, dept.clients["K3"])
    assert 'data-state="missing"' in k3 and "No plan" in k3
    assert reverse("planning:create", args=[dept.clients["K3"].pk]) in k3
    assert "Propose plan" in k3
    assert "Propose a plan for my 1 account without one" in html


def test_propose_all_makes_plans_only_for_the_manager_s_own_accounts(dept: Department_) -> None:
    key_account(dept, "K3", "ООО «Третий ключ»", "kate")
    response = logged_in(dept, "kate").post(CREATE_MISSING, {"next": MINE})
    assert response.status_code == 302 and response["Location"] == MINE
    owned = DevelopmentPlan.objects.values_list("client__code", "owner__user__username")
    assert sorted(owned) == [("K1", "kate"), ("K3", "kate")]
    assert "Proposed 2 plans" in texts(response)[0]
    # Again: nothing left to propose.
    again = logged_in(dept, "kate").post(CREATE_MISSING, {"next": MINE})
    assert DevelopmentPlan.objects.count() == 2
    assert "already has a plan" in texts(again)[0]


def test_the_head_proposes_for_every_key_account_and_hears_why_one_cannot(
    dept: Department_,
) -> None:
    response = logged_in(dept, "helen").post(CREATE_MISSING, {"next": DEPARTMENT})
    assert response["Location"] == DEPARTMENT
    assert sorted(DevelopmentPlan.objects.values_list("client__code", flat=True)) == ["K1", "K2"]
    messages = texts(response)
    assert any("no responsible manager" in m and "ЗАО «Без хозяина»" in m for m in messages)


def test_the_head_sees_her_own_accounts_and_a_return_comment(dept: Department_) -> None:
    key_account(dept, "H1", "ООО «Головное»", "helen")
    plan = submitted(dept, "K1", "kate")
    services.plan_return(plan=plan, user=dept.users["helen"], comment="Больше встреч")
    helen = logged_in(dept, "helen").get(MINE)
    assert [r.client.code for r in helen.context["rows"]] == ["H1"]
    html = logged_in(dept, "kate").get(MINE).content.decode()
    k1 = row_of(html, dept.clients["K1"])
    assert "Returned:" in k1 and "Больше встреч" in k1
    assert "1 plan was returned for rework" in html


@pytest.mark.parametrize("login", ["sam", "ann"])
def test_my_plans_are_not_for_sales(dept: Department_, login: str) -> None:
    assert logged_in(dept, login).get(MINE).status_code == 403


def test_readers_without_accounts_go_to_the_department(dept: Department_) -> None:
    response = logged_in(dept, "frank").get(MINE + "?period=2026-01")
    assert response.status_code == 302
    assert response["Location"] == DEPARTMENT + "?period=2026-01"


def test_managers_go_from_the_department_to_their_own_plans(dept: Department_) -> None:
    response = logged_in(dept, "kate").get(DEPARTMENT + "?period=2026-01")
    assert response.status_code == 302
    assert response["Location"] == MINE + "?period=2026-01"


def test_the_head_proposes_for_one_manager_s_accounts_from_the_filtered_page(
    dept: Department_,
) -> None:
    logged_in(dept, "helen").post(CREATE_MISSING, {"manager": dept.employees["ken"].pk})
    assert list(DevelopmentPlan.objects.values_list("client__code", flat=True)) == ["K2"]


# --- Periods -----------------------------------------------------------------------------------


def test_the_period_is_navigated_with_its_code(dept: Department_) -> None:
    current = services.current_period()
    previous = current.previous()
    old = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"], period=previous)
    browser = logged_in(dept, "kate")
    now = browser.get(MINE)
    assert now.context["period"] == current
    assert now.context["rows"][0].plan is None
    html = now.content.decode()
    assert f"?period={previous.code}" in html and f"?period={current.next().code}" in html
    before = browser.get(MINE, {"period": previous.code})
    assert before.status_code == 200
    assert before.context["period"] == previous
    assert before.context["rows"][0].plan == old
    assert previous.label in before.content.decode()
    department = logged_in(dept, "helen").get(DEPARTMENT, {"period": previous.code})
    assert [r.plan for r in department.context["rows"] if r.plan] == [old]


@pytest.mark.parametrize("url", [MINE, DEPARTMENT])
def test_a_bad_period_is_explained_not_a_server_error(dept: Department_, url: str) -> None:
    response = logged_in(dept, "helen").get(url, {"period": "2026-13"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a period: use YYYY-MM or YYYY-Qn." in html
    assert response.context["period"] == services.current_period()
    export = logged_in(dept, "helen").get(
        reverse("planning:department_export", args=["csv"]), {"period": "soon"}
    )
    assert export.status_code == 400


# --- The department ----------------------------------------------------------------------------


def test_the_department_counts_and_filters_by_state(dept: Department_) -> None:
    planned(dept, "K1", "kate")
    submitted(dept, "K2", "ken")
    browser = logged_in(dept, "helen")
    response = browser.get(DEPARTMENT)
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["missing"], counts["draft"], counts["submitted"], counts["approved"]) == (
        1,
        1,
        1,
        0,
    )
    assert [r.client.code for r in response.context["rows"]] == ["K2", "G1", "K1"]  # by name
    html = response.content.decode()
    chips = html.split('class="state-chips"', 1)[1].split("</ul>", 1)[0]
    assert 'No plan <span class="chip-count">1</span>' in chips
    assert 'All <span class="chip-count">3</span>' in chips
    only_submitted = browser.get(DEPARTMENT, {"state": "submitted"})
    assert [r.client.code for r in only_submitted.context["rows"]] == ["K2"]
    missing = browser.get(DEPARTMENT, {"state": "missing"})
    assert [r.client.code for r in missing.context["rows"]] == ["G1"]
    kens = browser.get(DEPARTMENT, {"manager": dept.employees["ken"].pk})
    assert [r.client.code for r in kens.context["rows"]] == ["K2"]
    assert kens.context["counts"]["submitted"] == 1 and kens.context["counts"]["draft"] == 0
    # Totals and the approve-by deadline.
    assert response.context["totals"]["target"] == 200_000
    assert response.context["totals"]["actual"] == 70_000
    assert response.context["deadline"]["waiting"] == 3
    assert "3 accounts have no approved plan yet." in html


def test_the_department_sorts_by_target_and_percent(dept: Department_) -> None:
    planned(dept, "K1", "kate", "500000")  # 50 000 of 500 000: 10 %
    planned(dept, "K2", "ken", "40000")  # 20 000 of 40 000: 50 %
    browser = logged_in(dept, "helen")

    def order(sort: str) -> list[str]:
        return [r.client.code for r in browser.get(DEPARTMENT, {"sort": sort}).context["rows"]]

    assert order("target") == ["K2", "K1", "G1"]  # without a target: last
    assert order("-target") == ["K1", "K2", "G1"]
    assert order("percent") == ["K1", "K2", "G1"]
    assert order("-percent") == ["K2", "K1", "G1"]
    assert order("manager")[:2] == ["K1", "K2"]  # Катя before Кен
    html = browser.get(DEPARTMENT, {"sort": "target"}).content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-target" in html


def test_the_department_chart_has_target_actual_and_forecast_per_account(
    dept: Department_,
) -> None:
    planned(dept, "K1", "kate", "500000")
    response = logged_in(dept, "frank").get(DEPARTMENT)
    assert response.status_code == 200
    html = response.content.decode()
    data = json.loads(
        html.split('id="plan-chart-data" type="application/json">', 1)[1].split("<")[0]
    )
    assert data == [
        {
            "label": "ООО «Ключ»",
            "target": 500000.0,
            "actual": 50000.0,
            "forecast": next(
                r.revenue.forecast for r in response.context["rows"] if r.client.code == "K1"
            ),
        }
    ]
    assert 'kamCharts.planBars("plan-chart", "plan-chart-data"' in html
    # The auditor reads: no checkboxes, no bulk buttons, no propose-all.
    assert 'id="bulk-form"' not in html and 'name="plan"' not in html
    assert 'id="propose-all"' not in html


def _bulk(browser: Browser, action: str, plans: list[DevelopmentPlan], **extra: str) -> Any:
    data = {"do": action, "plan": [str(p.pk) for p in plans], "query": "state=submitted", **extra}
    return browser.post(DEPARTMENT, data)


def test_bulk_approve_asks_first_then_approves_submitted_plans_and_lists_refusals(
    dept: Department_,
) -> None:
    handover_record(
        client=dept.clients["K2"],
        to_manager=dept.employees["helen"],
        user=dept.users["alice"],
        cause=Cause.OVERLOAD,
    )
    key_account(dept, "K3", "ООО «Третий ключ»", "kate")
    good = submitted(dept, "K1", "kate")
    own = submitted(dept, "K2", "helen")
    draft = planned(dept, "K3", "kate")
    browser = logged_in(dept, "helen")
    html = browser.get(DEPARTMENT).content.decode()
    assert 'id="bulk-form"' in html and f'name="plan" value="{good.pk}"' in html
    confirm = _bulk(browser, "approve", [good, own, draft])
    assert confirm.status_code == 200  # the confirmation: nothing changed yet
    page = confirm.content.decode()
    assert "Approve 3 plans?" in page and 'name="confirm" value="yes"' in page
    assert DevelopmentPlan.objects.filter(state=PlanState.APPROVED).count() == 0
    done = _bulk(browser, "approve", [good, own, draft], confirm="yes")
    assert done["Location"] == DEPARTMENT + "?state=submitted"
    states = dict(DevelopmentPlan.objects.values_list("client__code", "state"))
    assert states == {"K1": "approved", "K2": "submitted", "K3": "draft"}
    messages = texts(done)
    assert messages[0] == "Approved 1 plan: ООО «Ключ»."
    refused = messages[1:]
    assert len(refused) == 2
    assert any("АО «Второй ключ»" in m and "own plan" in m for m in refused)
    assert any("ООО «Третий ключ»" in m and "submitted" in m for m in refused)


def test_bulk_return_needs_a_comment(dept: Department_) -> None:
    plan = submitted(dept, "K1", "kate")
    browser = logged_in(dept, "helen")
    confirm = _bulk(browser, "return", [plan])
    assert "Return 1 plan for rework?" in confirm.content.decode()
    empty = _bulk(browser, "return", [plan], confirm="yes", comment="  ")
    assert empty.status_code == 400
    assert "Say what to rework" in empty.content.decode()
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED
    done = _bulk(browser, "return", [plan], confirm="yes", comment="Добавьте встречи")
    assert done.status_code == 302
    plan.refresh_from_db()
    assert (plan.state, plan.return_comment) == (PlanState.DRAFT, "Добавьте встречи")
    assert texts(done) == ["Returned 1 plan for rework: ООО «Ключ»."]


@pytest.mark.parametrize("login", ["kate", "frank"])
def test_only_approvers_act_in_bulk(dept: Department_, login: str) -> None:
    plan = submitted(dept, "K1", "kate")
    response = logged_in(dept, login).post(
        DEPARTMENT, {"do": "approve", "plan": [plan.pk], "confirm": "yes"}
    )
    # A manager is sent to their own plans before anything; the auditor is refused.
    assert response.status_code == (302 if login == "kate" else 403)
    plan.refresh_from_db()
    assert plan.state == PlanState.SUBMITTED


def test_bulk_without_ticks_says_so(dept: Department_) -> None:
    response = logged_in(dept, "helen").post(DEPARTMENT, {"do": "approve"})
    assert response.status_code == 302
    assert texts(response) == ["Tick the plans first."]


def test_the_export_has_the_department_s_rows(dept: Department_) -> None:
    plan = submitted(dept, "K1", "kate", "500000")
    browser = logged_in(dept, "frank")
    response = browser.get(reverse("planning:department_export", args=["csv"]))
    assert response.status_code == 200
    code = services.current_period().code
    assert response["Content-Disposition"] == f'attachment; filename="plans-{code}.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][:6] == ["period", "client_code", "client", "manager_code", "manager", "state"]
    by_code = {r[1]: r for r in rows[1:]}
    assert set(by_code) == {"G1", "K1", "K2"}
    k1 = dict(zip(rows[0], by_code["K1"], strict=True))
    assert k1["state"] == "Submitted" and k1["manager"] == "Катя Ключевая"
    assert k1["revenue_target"] == "500000,0" and k1["revenue_actual"] == "50000,0"
    assert k1["percent_of_target"] == "10,0" and k1["plan_id"] == str(plan.pk)
    assert dict(zip(rows[0], by_code["G1"], strict=True))["state"] == "No plan"
    xlsx = browser.get(reverse("planning:department_export", args=["xlsx"]), {"state": "submitted"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("period", "client_code", "client")
    assert [v[1] for v in values[1:]] == ["K1"]
    assert values[1][6] == 500000 and values[1][7] == 50000


# --- Proposing one plan ------------------------------------------------------------------------


def test_propose_one_plan_opens_it(dept: Department_) -> None:
    url = reverse("planning:create", args=[dept.clients["K1"].pk])
    response = logged_in(dept, "kate").post(url, {"next": MINE})
    plan = DevelopmentPlan.objects.get(client=dept.clients["K1"])
    assert response["Location"] == reverse("planning:detail", args=[plan.pk])
    assert plan.owner == dept.employees["kate"] and plan.state == PlanState.DRAFT
    again = logged_in(dept, "kate").post(url, {"next": MINE})
    assert again["Location"] == MINE
    assert "already has a plan" in texts(again)[0]


def test_a_plan_that_cannot_be_made_says_why(dept: Department_) -> None:
    url = reverse("planning:create", args=[dept.clients["G1"].pk])
    response = logged_in(dept, "helen").post(url, {"next": DEPARTMENT + "?state=missing"})
    assert response["Location"] == DEPARTMENT + "?state=missing"
    assert "no responsible manager" in texts(response)[0]
    assert not DevelopmentPlan.objects.exists()
    evil = logged_in(dept, "helen").post(url, {"next": "https://evil.example/"})
    assert evil["Location"] == MINE


def test_a_manager_proposes_only_for_own_accounts(dept: Department_) -> None:
    url = reverse("planning:create", args=[dept.clients["K2"].pk])
    assert logged_in(dept, "kate").post(url).status_code == 404  # not in her scope
    assert logged_in(dept, "frank").post(url).status_code == 403
    assert not DevelopmentPlan.objects.exists()


# --- Settings ----------------------------------------------------------------------------------


def test_the_head_changes_the_settings_with_an_audit_row(dept: Department_) -> None:
    browser = logged_in(dept, "helen")
    page = browser.get(SETTINGS)
    assert page.status_code == 200 and 'name="approve_by_day"' in page.content.decode()
    response = browser.post(SETTINGS, {"period": "quarter", "approve_by_day": "10"})
    assert response.status_code == 302
    saved = PlanningSettings.objects.get()
    assert (saved.period, saved.approve_by_day) == (PeriodKind.QUARTER, 10)
    entry = AuditEntry.objects.get(action="planning.settings_changed")
    assert entry.data["after"] == {"period": "quarter", "approve_by_day": 10}
    assert "Existing plans keep their period." in texts(response)[0]
    assert services.current_period().kind == PeriodKind.QUARTER
    bad = browser.post(SETTINGS, {"period": "week", "approve_by_day": "31"})
    assert bad.status_code == 400
    assert PlanningSettings.objects.get().period == PeriodKind.QUARTER


def test_a_manager_reads_the_settings_but_may_not_change_them(dept: Department_) -> None:
    browser = logged_in(dept, "kate")
    page = browser.get(SETTINGS)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="approve_by_day"' not in html
    assert "The key-account head or the director changes these settings." in html
    assert browser.post(SETTINGS, {"period": "quarter", "approve_by_day": "3"}).status_code == 403
    assert not AuditEntry.objects.filter(action="planning.settings_changed").exists()
    assert logged_in(dept, "sam").get(SETTINGS).status_code == 403


# --- Navigation and query counts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "target"),
    [("alice", DEPARTMENT), ("helen", DEPARTMENT), ("kate", MINE), ("frank", DEPARTMENT)],
)
def test_the_navigation_leads_to_the_plans(dept: Department_, login: str, target: str) -> None:
    html = logged_in(dept, login).get(SETTINGS).content.decode()
    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{target}" class="active"' in nav and ">Plans<" in nav


def test_no_plans_entry_for_sales(dept: Department_) -> None:
    html = logged_in(dept, "sam").get(reverse("clients:list")).content.decode()
    assert ">Plans<" not in html


def _queries(browser: Browser, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_department_page_does_not_grow_with_its_accounts(dept: Department_) -> None:
    submitted(dept, "K1", "kate")
    planned(dept, "K2", "ken")
    browser = logged_in(dept, "helen")
    browser.get(DEPARTMENT)
    few = _queries(browser, DEPARTMENT)
    for i in range(12):
        login = "kate" if i % 2 else "ken"
        key_account(dept, f"X{i:02}", f"ООО «Клиент {i:02}»", login)
        if i % 3:
            planned(dept, f"X{i:02}", login, str(10_000 * (i + 1)))
    many = _queries(browser, DEPARTMENT)
    assert many == few
    assert many <= 16
    key_account(dept, "H1", "ООО «Головное»", "helen")
    planned(dept, "H1", "helen")
    mine_few = _queries(browser, MINE)
    for code in ("H2", "H3", "H4"):
        key_account(dept, code, f"ООО «Головное {code}»", "helen")
    planned(dept, "H2", "helen")
    planned(dept, "H3", "helen")
    assert _queries(browser, MINE) == mine_few


def test_the_quarter_setting_makes_quarter_plans(dept: Department_) -> None:
    services.planning_settings_update(period="quarter", approve_by_day=5, user=None)
    logged_in(dept, "kate").post(CREATE_MISSING)
    plan = DevelopmentPlan.objects.get()
    assert plan.period_kind == PeriodKind.QUARTER
    assert plan.period_end - plan.period_start > dt.timedelta(days=80)
    response = logged_in(dept, "kate").get(MINE)
    assert response.context["period"].code.endswith(f"Q{(plan.period_start.month - 1) // 3 + 1}")
    assert response.context["rows"][0].plan == plan
    assert Decimal(0) <= Decimal(str(response.context["totals"]["target"]))
