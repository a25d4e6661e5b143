"""Operational periods: months and quarters, codes, the company setting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.keyaccounts.testing import department_create
from kam.planning import services
from kam.planning.choices import PeriodKind
from kam.planning.periods import period_from_code, period_of


@pytest.mark.parametrize(
    ("day", "kind", "start", "end", "code"),
    [
        (dt.date(2026, 11, 26), "month", dt.date(2026, 11, 1), dt.date(2026, 11, 30), "2026-11"),
        (dt.date(2024, 2, 10), "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "2024-02"),
        (dt.date(2026, 11, 26), "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4"),
        (dt.date(2026, 1, 1), "quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31), "2026-Q1"),
    ],
)
def test_a_day_falls_in_one_period(
    day: dt.date, kind: str, start: dt.date, end: dt.date, code: str
) -> None:
    period = period_of(day, kind)
    assert (period.start, period.end, period.code) == (start, end, code)
    assert period_from_code(code) == period
    assert period.next().previous() == period
    assert period.next().start == end + dt.timedelta(days=1)


def test_quarter_has_three_months_and_elapsed_days() -> None:
    quarter = period_of(dt.date(2026, 5, 5), PeriodKind.QUARTER)
    assert quarter.months == [dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)]
    assert quarter.days == 91
    assert quarter.elapsed_days(dt.date(2026, 3, 31)) == 0
    assert quarter.elapsed_days(dt.date(2026, 4, 10)) == 10
    assert quarter.elapsed_days(dt.date(2026, 8, 1)) == 91


@pytest.mark.parametrize("code", ["2026", "2026-13", "2026-Q5", "abc", "2026-Q"])
def test_a_bad_period_code_is_named(code: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM or YYYY-Qn"):
        period_from_code(code)


@pytest.mark.django_db
def test_the_period_setting_decides_new_plans_and_existing_plans_keep_theirs() -> None:
    dept = department_create()
    today = timezone.localdate()
    assert services.current_period(today).kind == PeriodKind.MONTH
    monthly = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"])
    assert (monthly.period_start, monthly.period_end) == (
        period_of(today, "month").start,
        period_of(today, "month").end,
    )
    with pytest.raises(PermissionDenied):
        services.planning_settings_update(
            period="quarter", approve_by_day=5, user=dept.users["kate"]
        )
    services.planning_settings_update(period="quarter", approve_by_day=10, user=dept.users["helen"])
    assert AuditEntry.objects.filter(action="planning.settings_changed").count() == 1
    quarterly = services.plan_create(client=dept.clients["K2"], user=dept.users["ken"])
    assert quarterly.period_kind == PeriodKind.QUARTER
    assert quarterly.period_start == period_of(today, "quarter").start
    assert quarterly.actions.filter(kind="meeting").count() >= 1
    monthly.refresh_from_db()
    assert monthly.period_kind == PeriodKind.MONTH
    # K1's month lies inside the quarter: a quarter plan for K1 would overlap it.
    with pytest.raises(ValidationError, match="already has a plan"):
        services.plan_create(client=dept.clients["K1"], user=dept.users["kate"])
    with pytest.raises(ValidationError):
        services.planning_settings_update(period="week", approve_by_day=5, user=dept.users["helen"])
    with pytest.raises(ValidationError):
        services.planning_settings_update(
            period="month", approve_by_day=31, user=dept.users["helen"]
        )
