"""Proposed targets and actions: from the ledger's history and the latest assessment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from kam.assessment.services import cycle_run
from kam.clients.models import Client
from kam.keyaccounts.testing import Department_, department_create
from kam.ledger.months import month_start
from kam.planning.choices import ActionKind, TargetKind
from kam.planning.periods import period_of
from kam.planning.proposals import basis_text, propose
from kam.planning.tests.ledger import payments_import, sales_import

pytestmark = pytest.mark.django_db

MARCH = period_of(dt.date(2025, 3, 1), "month")


@pytest.fixture
def dept(tmp_path: Path) -> Department_:
    """K1 buys paper every month for two years (100 000, March twice that), carton now and
    then; K2 buys only film, which K1 does not. Margin 25 % on paper."""
    dept = department_create(dt.date(2025, 3, 1))
    rows = []
    for back in range(1, 25):
        month = month_start(MARCH.start, back)
        amount = 200000 if month.month == 3 else 100000
        rows.append((f"K1-{back}", month.replace(day=5), "K1", "Бумага", amount, amount * 0.75, 0))
        if back % 3 == 0:
            rows.append((f"K1c-{back}", month.replace(day=7), "K1", "Картон", 30000, 27000, 0))
        rows.append((f"K2-{back}", month.replace(day=9), "K2", "Плёнка", 50000, 40000, 0))
    sales_import(tmp_path, rows)
    payments_import(
        tmp_path,
        [(f"P{doc}", day, client, amount, doc) for doc, day, client, _g, amount, _c, _t in rows],
    )
    return dept


def test_revenue_is_the_average_month_times_seasonality(dept: Department_) -> None:
    proposal = propose(dept.clients["K1"], MARCH)
    revenue = next(t for t in proposal.targets if t.kind == TargetKind.REVENUE)
    # 12 months: 11 × 100 000 + 200 000 paper + 4 × 30 000 carton = 1 420 000 → 118 333 a month.
    average = 1_420_000 / 12
    # Last March was 230 000 (200 000 paper + 30 000 carton) against an average month of
    # 118 333: 1.94, kept within 1.5.
    assert revenue.basis["seasonality"] == 1.5
    assert revenue.basis["average_month"] == pytest.approx(average, abs=0.01)
    assert revenue.value == Decimal(round(average * 1.5, -3))
    margin = next(t for t in proposal.targets if t.kind == TargetKind.MARGIN)
    rate = (1_300_000 * 0.25 + 120_000 * 0.1) / 1_420_000
    assert margin.basis["rate"] == pytest.approx(rate, abs=1e-4)
    groups = {t.product_group: t for t in proposal.targets if t.kind == TargetKind.GROUP_REVENUE}
    assert list(groups) == ["Бумага"]  # carton is 8 % of revenue: below the 10 % bar


def test_growth_toward_the_unrealised_potential(dept: Department_) -> None:
    Client.objects.filter(code="K1").update(purchase_potential=Decimal(3_000_000))
    cycle_run(as_of=dt.date(2025, 3, 1))
    proposal = propose(Client.objects.get(code="K1"), MARCH)
    revenue = next(t for t in proposal.targets if t.kind == TargetKind.REVENUE)
    assert revenue.basis["potential_gap"] and revenue.basis["potential_gap"] > 0
    assert revenue.basis["step"] > 0
    base = revenue.basis["average_month"] * revenue.basis["seasonality"]
    assert float(revenue.value or 0) == pytest.approx(base + revenue.basis["step"], abs=500)
    with translation.override("en"):
        assert "unrealised potential" in basis_text(revenue.basis)
    with translation.override("ru"):
        assert basis_text(revenue.basis) != ""


def test_new_groups_come_from_what_other_key_accounts_buy(dept: Department_) -> None:
    proposal = propose(dept.clients["K1"], MARCH)
    new = next(t for t in proposal.targets if t.kind == TargetKind.NEW_GROUPS)
    assert (new.value, new.basis["groups"]) == (Decimal(1), ["Плёнка"])
    offer = [a for a in proposal.actions if a.kind == ActionKind.PROPOSAL]
    assert offer and "Плёнка" in offer[0].title


def test_actions_a_monthly_meeting_and_a_review_at_quarter_end(dept: Department_) -> None:
    proposal = propose(dept.clients["K1"], MARCH, as_of=dt.date(2025, 2, 20))
    kinds = [a.kind for a in proposal.actions]
    assert kinds.count(ActionKind.MEETING) == 1
    assert ActionKind.BUSINESS_REVIEW in kinds  # March ends a quarter
    assert all(MARCH.start <= a.due <= MARCH.end for a in proposal.actions)
    quarter = period_of(dt.date(2025, 4, 1), "quarter")
    kinds = [a.kind for a in propose(dept.clients["K1"], quarter).actions]
    assert kinds.count(ActionKind.MEETING) == 3


def test_payment_discipline_from_the_assessment(dept: Department_, tmp_path: Path) -> None:
    cycle_run(as_of=dt.date(2025, 3, 1))
    discipline = next(
        t
        for t in propose(dept.clients["K1"], MARCH).targets
        if t.kind == TargetKind.MAX_OVERDUE_DAYS
    )
    assert discipline.value == 0  # paid on the day


def test_a_client_without_history_gets_actions_but_no_revenue_target(dept: Department_) -> None:
    proposal = propose(dept.clients["G1"], MARCH)
    assert not [t for t in proposal.targets if t.kind == TargetKind.REVENUE]
    assert [a.kind for a in proposal.actions][:1] == [ActionKind.MEETING]
