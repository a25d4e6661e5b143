"""The generated period as a month grid of day numbers (days since 1970-01-01)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kam.generator.reference import SEASONALITY

EPOCH = dt.date(1970, 1, 1)
DAYS_PER_YEAR = 365.25


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01, the representation of every date inside the generator."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class Period:
    """The ``years`` years ending at ``end`` (inclusive), cut into calendar months.

    Arrays are per month: first/last day inside the period, the share of the month covered (the
    first and last month are usually partial), the seasonal multiplier and the month's midpoint
    in years relative to ``end`` (negative, ~0 for the last month).
    """

    start: int
    end: int
    first: np.ndarray
    last: np.ndarray
    coverage: np.ndarray
    season: np.ndarray
    t_years: np.ndarray

    @property
    def months(self) -> int:
        """Number of (possibly partial) calendar months in the period."""
        return len(self.first)


def make_period(end: dt.date, years: int) -> Period:
    """Build the month grid for the ``years`` years ending at ``end``."""
    try:
        start_date = end.replace(year=end.year - years) + dt.timedelta(days=1)
    except ValueError:  # 29 February: the same day years ago does not exist
        start_date = end.replace(year=end.year - years, day=28) + dt.timedelta(days=1)
    firsts, lasts, full_len, cal = [], [], [], []
    y, m = start_date.year, start_date.month
    while (y, m) <= (end.year, end.month):
        month_start = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        full_len.append((nxt - month_start).days)
        firsts.append(max(day_number(month_start), day_number(start_date)))
        lasts.append(min(day_number(nxt) - 1, day_number(end)))
        cal.append(m - 1)
        y, m = nxt.year, nxt.month
    first = np.array(firsts, dtype=np.int64)
    last = np.array(lasts, dtype=np.int64)
    end_day = day_number(end)
    return Period(
        start=day_number(start_date),
        end=end_day,
        first=first,
        last=last,
        coverage=(last - first + 1) / np.array(full_len, dtype=float),
        season=SEASONALITY[np.array(cal)],
        t_years=((first + last) / 2 - end_day) / DAYS_PER_YEAR,
    )
