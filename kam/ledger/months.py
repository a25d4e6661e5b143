"""Month arithmetic shared by the ledger's readers, the assessment and planning."""

from __future__ import annotations

import calendar
import datetime as dt


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    """The first day of the month ``months_back`` months before ``day``'s month."""
    index = month_index(day) - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months later (the month's last day if it is shorter)."""
    first = month_start(day, -months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))
