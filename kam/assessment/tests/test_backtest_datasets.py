"""The back-test on real public data (../shared/datasets): Maven CRM won deals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kam.assessment import scoring
from kam.assessment.backtest import backtest
from kam.assessment.services import active_model
from kam.imports.services import import_file
from kam.imports.tests.test_shared_datasets import _maven

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("as_of", "horizon"), [("2017-06-30", 6), ("2017-08-31", 4)])
def test_backtest_on_maven_won_deals(
    datasets: Path, tmp_path: Path, as_of: str, horizon: int
) -> None:
    accounts, sales, _frame = _maven(datasets, tmp_path)
    assert import_file(kind="clients", path=accounts).ok
    assert import_file(kind="sales", path=sales).ok
    figures = backtest(
        as_of=dt.date.fromisoformat(as_of),
        horizon_months=horizon,
        definition=scoring.parse(active_model().definition),
    )
    print(figures)
    assert figures["clients"] == 85
    assert 0 < figures["k"] < 85
    assert 0 < figures["baseline_next_revenue_share"] < 1
    # The model's picks buy at least as much of what comes next as the top sellers did.
    assert figures["model_next_revenue_share"] >= figures["baseline_next_revenue_share"] - 0.01
