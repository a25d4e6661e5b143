"""Month arithmetic: first days, shorter months, year boundaries."""

import datetime as dt

from kam.ledger.months import add_months, month_index, month_start

D = dt.date


def test_month_start_and_index() -> None:
    assert month_start(D(2026, 3, 15)) == D(2026, 3, 1)
    assert month_start(D(2026, 3, 15), 3) == D(2025, 12, 1)
    assert month_start(D(2026, 3, 15), -10) == D(2027, 1, 1)
    assert month_index(D(2026, 1, 1)) - month_index(D(2025, 12, 31)) == 1


def test_add_months_keeps_the_day_or_takes_the_month_end() -> None:
    assert add_months(D(2026, 7, 31), 3) == D(2026, 10, 31)
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
