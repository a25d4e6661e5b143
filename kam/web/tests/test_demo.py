"""The demo company's story, on a small generated company: the key-account department set up,
then the development plans — last month's closed with their results, this month's in every
state, a few accounts still without one — all through the services (history and audit rows)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.planning.choices import ActionStatus, EventKind, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanAction, PlanEvent, PlanTarget
from kam.planning.selectors import MISSING
from kam.planning.services import current_period
from kam.web.demo import (
    demo_assessment,
    demo_department,
    demo_import,
    demo_plans,
    demo_users,
)

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def files(demo_company_files: Path) -> Path:
    return demo_company_files


@pytest.fixture
def demo(files: Path) -> dict[str, object]:
    end = timezone.localdate() - dt.timedelta(days=1)
    assert all(report.ok for report in demo_import(files))
    demo_users()
    demo_assessment(end)
    department = demo_department()
    return {"department": department, "plans": demo_plans()}


def test_last_months_plans_are_closed_with_their_results(demo: dict[str, object]) -> None:
    previous = current_period().previous()
    keys = Client.objects.filter(status=ClientStatus.KEY, responsible__isnull=False)
    closed = DevelopmentPlan.objects.filter(period_start=previous.start)
    assert closed.count() == keys.count() >= 5
    assert set(closed.values_list("state", flat=True)) == {PlanState.CLOSED}
    targets = PlanTarget.objects.filter(plan__in=closed)
    assert not targets.filter(met__isnull=True, value__isnull=False).exists()
    missed = targets.filter(met=False)
    assert missed.exists() and not missed.filter(miss_reason="").exists()
    qualitative = Counter(targets.filter(kind=TargetKind.QUALITATIVE).values_list("met", flat=True))
    assert qualitative[True] and qualitative[False], "qualitative goals judged both ways"
    done = PlanAction.objects.filter(plan__in=closed, status=ActionStatus.DONE)
    assert done.exists() and not done.filter(outcome="").exists()
    days = [d for d in done.values_list("done_on", flat=True) if d is not None]
    assert len(days) == done.count()
    assert min(days) >= previous.start and max(days) <= previous.end
    # Through the services: every step is history and audit.
    events = Counter(PlanEvent.objects.filter(plan__in=closed).values_list("kind", flat=True))
    n = closed.count()
    assert events[EventKind.CREATED] == events[EventKind.APPROVED] == events[EventKind.CLOSED] == n
    assert AuditEntry.objects.filter(action="planning.plan_closed").count() == n
    assert demo["plans"]["closed_last_month"] == n  # type: ignore[index]


def test_this_months_plans_are_in_every_state_and_some_are_missing(
    demo: dict[str, object],
) -> None:
    period = current_period()
    summary = demo["plans"]
    plans = DevelopmentPlan.objects.filter(period_start=period.start)
    states = Counter(plans.values_list("state", flat=True))
    assert states[PlanState.APPROVED] > states[PlanState.SUBMITTED] >= 1
    assert states[PlanState.DRAFT] >= 2
    returned = plans.filter(state=PlanState.DRAFT).exclude(return_comment="")
    assert returned.count() == 1
    assert returned.get().events.filter(kind=EventKind.RETURNED).exists()
    keys = Client.objects.filter(status=ClientStatus.KEY, responsible__isnull=False)
    missing = keys.exclude(plans__period_start=period.start)
    assert missing.count() >= 2
    assert summary == {  # what the demo prints
        "period": period.code,
        "plans": plans.count(),
        "draft": states[PlanState.DRAFT],
        "submitted": states[PlanState.SUBMITTED],
        "approved": states[PlanState.APPROVED],
        "closed": 0,
        MISSING: missing.count(),
        "closed_last_month": keys.count(),
    }
    done = PlanAction.objects.filter(plan__in=plans, status=ActionStatus.DONE)
    days = [d for d in done.values_list("done_on", flat=True) if d is not None]
    assert days and max(days) <= timezone.localdate()
    # Last month's open actions carried over.
    assert PlanAction.objects.filter(plan__in=plans, carried_from__isnull=False).exists()


def test_the_kam_login_has_plans_in_several_states(demo: dict[str, object]) -> None:
    period = current_period()
    kam = Client.objects.filter(status=ClientStatus.KEY, responsible__user__username="kam")
    states = {
        c.pk: DevelopmentPlan.objects.filter(client=c, period_start=period.start)
        .values_list("state", flat=True)
        .first()
        for c in kam
    }
    found = set(states.values())
    assert {PlanState.APPROVED, PlanState.SUBMITTED, PlanState.DRAFT} <= found
    assert None in found, "one of kam's accounts still waits for its plan"

    # Run again (every `make demo`): the plans are made once.
    before = DevelopmentPlan.objects.count()
    assert demo_plans() == demo["plans"]
    assert DevelopmentPlan.objects.count() == before
