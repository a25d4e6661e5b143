"""Operational periods: a month or a quarter, the unit of plan time."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kam.ledger.months import month_start
from kam.planning.choices import PeriodKind


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> list[dt.date]:
        """The first day of each month in the period."""
        count = 3 if self.kind == PeriodKind.QUARTER else 1
        return [month_start(self.start, -i) for i in range(count)]

    @property
    def code(self) -> str:
        """``2026-11`` for a month, ``2026-Q4`` for a quarter (URLs, exports, the API)."""
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(q)s %(year)s") % {
                "q": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        return date_format(self.start, "F Y").capitalize()

    def elapsed_days(self, until: dt.date) -> int:
        """Days of the period up to and including ``until`` (0 before it starts)."""
        if until < self.start:
            return 0
        return (min(until, self.end) - self.start).days + 1

    def next(self) -> Period:
        return period_of(self.end + dt.timedelta(days=1), self.kind)

    def previous(self) -> Period:
        return period_of(self.start - dt.timedelta(days=1), self.kind)

    def __str__(self) -> str:
        return self.label


def period_of(day: dt.date, kind: str) -> Period:
    """The period of ``kind`` that contains ``day``."""
    if kind == PeriodKind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        start = dt.date(day.year, first_month, 1)
        last_month = first_month + 2
    elif kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        last_month = day.month
    else:
        raise ValueError(f"unknown period kind {kind!r}")
    end = dt.date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])
    return Period(str(kind), start, end)


def period_from_code(code: str) -> Period:
    """Parse ``2026-11`` or ``2026-Q4``; ValueError names what is wrong."""
    text = code.strip().upper()
    try:
        year_text, rest = text.split("-", 1)
        year = int(year_text)
        if rest.startswith("Q"):
            quarter = int(rest[1:])
            if not 1 <= quarter <= 4:
                raise ValueError
            return period_of(dt.date(year, quarter * 3 - 2, 1), PeriodKind.QUARTER)
        month = int(rest)
        return period_of(dt.date(year, month, 1), PeriodKind.MONTH)
    except (ValueError, IndexError):
        raise ValueError(
            _("%(code)r is not a period: use YYYY-MM or YYYY-Qn.") % {"code": code}
        ) from None
