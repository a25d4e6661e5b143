"""Plan-vs-actual from the ledger: the figures, the forecast, the lights, and imports moving
them; and the actuals of the real Maven CRM dataset against an independent computation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.imports.services import import_file
from kam.keyaccounts.testing import Department_, department_create
from kam.planning import services
from kam.planning.actuals import client_actuals, plans_progress
from kam.planning.choices import Light, TargetKind
from kam.planning.models import PlanTarget
from kam.planning.periods import Period, period_of
from kam.planning.tests.ledger import payments_import, sales_import

pytestmark = pytest.mark.django_db

# A fixed month long past, so the test does not depend on today.
MONTH = period_of(dt.date(2025, 3, 1), "month")


def _targets(plan, **values: object) -> dict[str, PlanTarget]:  # type: ignore[no-untyped-def]
    PlanTarget.objects.filter(plan=plan).delete()
    return {
        kind: PlanTarget.objects.create(
            plan=plan,
            kind=kind if not kind.startswith("group:") else TargetKind.GROUP_REVENUE,
            product_group=kind.split(":", 1)[1] if kind.startswith("group:") else "",
            value=Decimal(str(value)),
        )
        for kind, value in values.items()
    }


@pytest.fixture
def dept() -> Department_:
    return department_create()


def test_actuals_forecast_and_lights_follow_the_ledger(dept: Department_, tmp_path: Path) -> None:
    sales_import(
        tmp_path,
        [
            # Bought before: paper (last year) — not new in March.
            ("A0", dt.date(2024, 6, 10), "K1", "Бумага", 1000, 800, 0),
            ("A1", dt.date(2025, 3, 3), "K1", "Бумага", 40000, 30000, 0),
            ("A2", dt.date(2025, 3, 10), "K1", "Картон", 10000, 6000, 30),
            ("A3", dt.date(2025, 3, 12), "K1", "Картон", -2000, -1200, 0),  # a return
            ("B1", dt.date(2025, 3, 15), "K2", "Бумага", 5000, None, 0),
        ],
    )
    payments_import(
        tmp_path,
        [
            ("P0", dt.date(2024, 6, 10), "K1", 1000, "A0"),
            ("P1", dt.date(2025, 3, 3), "K1", 40000, "A1"),
        ],
    )
    plan = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"], period=MONTH)
    targets = _targets(
        plan,
        revenue=90000,
        margin=10000,
        **{"group:Картон": 8000},
        new_groups=1,
        max_overdue_days=0,
    )
    # Data up to 15 March: half of the month gone (15 of 31 days).
    progress = plans_progress([plan], dt.date(2025, 3, 20))[plan.pk]
    assert progress.data_until == dt.date(2025, 3, 15)
    assert progress.elapsed_days == 15
    got = {
        t.target.kind if t.target.kind != "group_revenue" else "group": t for t in progress.targets
    }
    assert got["revenue"].actual == 48000.0
    assert got["revenue"].forecast == pytest.approx(48000 * 31 / 15, abs=0.01)
    assert got["revenue"].light == Light.GREEN  # 99 200 ≥ 90 000
    assert got["margin"].actual == 48000 - (30000 + 6000 - 1200)
    assert got["group"].actual == 8000.0
    assert got["new_groups"].actual == 1.0  # carton is new, paper was bought in June
    assert got["max_overdue_days"].actual == 0.0
    # A2 (30 days' terms, due 9 April) is still unpaid, but due after the month's end.
    assert got["max_overdue_days"].light == Light.GREEN
    assert targets  # all five targets measured
    # K2: margin unknown (no cost on its lines), not zero.
    assert (
        client_actuals([dept.clients["K2"].pk], MONTH, dt.date(2025, 3, 31))[
            dept.clients["K2"].pk
        ].margin
        is None
    )

    # An import moves the actuals: a big order on 25 March, imported afterwards.
    sales_import(
        tmp_path, [("A4", dt.date(2025, 3, 25), "K1", "Бумага", 50000, 40000, 0)], "more.csv"
    )
    later = plans_progress([plan], dt.date(2025, 3, 31))[plan.pk]
    assert later.target_of(TargetKind.REVENUE).actual == 98000.0  # type: ignore[union-attr]
    assert later.elapsed_days == 25


def test_lights_at_risk_and_off_track(dept: Department_, tmp_path: Path) -> None:
    sales_import(
        tmp_path,
        [
            ("A1", dt.date(2025, 2, 1), "K1", "Бумага", 10000, None, 10),  # due 11 Feb
            ("A2", dt.date(2025, 3, 31), "K1", "Бумага", 93000, None, 0),
        ],
    )
    plan = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"], period=MONTH)
    _targets(plan, revenue=100000, max_overdue_days=30)
    progress = plans_progress([plan], dt.date(2025, 4, 5))[plan.pk]
    revenue = progress.target_of(TargetKind.REVENUE)
    overdue = progress.target_of(TargetKind.MAX_OVERDUE_DAYS)
    assert revenue is not None and overdue is not None
    assert (revenue.actual, revenue.forecast, revenue.light) == (93000.0, 93000.0, Light.AMBER)
    # A1 unpaid at the month's end: 48 days overdue on 31 March, above the 30 allowed.
    assert (overdue.actual, overdue.light) == (48.0, Light.RED)
    # Paid on 5 March: nothing is overdue at the month's end.
    payments_import(tmp_path, [("P1", dt.date(2025, 3, 5), "K1", 10000, "A1")])
    progress = plans_progress([plan], dt.date(2025, 4, 5))[plan.pk]
    assert progress.target_of(TargetKind.MAX_OVERDUE_DAYS).light == Light.GREEN  # type: ignore[union-attr]


def test_no_data_yet_measures_nothing(dept: Department_) -> None:
    plan = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"], period=MONTH)
    _targets(plan, revenue=100)
    progress = plans_progress([plan], dt.date(2025, 3, 10))[plan.pk]
    assert progress.elapsed_days == 0
    assert [t.light for t in progress.targets] == [Light.NONE]


# --- The real dataset -------------------------------------------------------------------------


def _maven_import(datasets: Path, tmp_path: Path) -> pl.DataFrame:
    folder = datasets / "maven-crm-sales-opportunities"
    accounts = pl.read_csv(folder / "accounts.csv", infer_schema=False).select(
        pl.col("account").alias("code"), pl.col("account").alias("name")
    )
    accounts.write_csv(tmp_path / "clients.csv")
    assert import_file(kind="clients", path=tmp_path / "clients.csv").ok
    won = pl.read_csv(folder / "sales_pipeline.csv", infer_schema=False).filter(
        (pl.col("deal_stage") == "Won") & pl.col("account").is_not_null()
    )
    sales = won.select(
        pl.col("opportunity_id").alias("doc_no"),
        pl.col("close_date").alias("date"),
        pl.col("account").alias("client_code"),
        pl.col("product").alias("product_group"),
        pl.col("close_value").alias("amount"),
    )
    sales.write_csv(tmp_path / "sales.csv")
    report = import_file(kind="sales", path=tmp_path / "sales.csv")
    assert report.ok, report.errors[:3]
    return sales.with_columns(pl.col("date").str.to_date(), pl.col("amount").cast(pl.Float64))


def _expected(
    sales: pl.DataFrame, period: Period
) -> dict[str, tuple[float, dict[str, float], list[str]]]:
    """Revenue, revenue per product and new products per account, straight from the file."""
    inside = sales.filter(pl.col("date").is_between(period.start, period.end))
    year_before = sales.filter(
        (pl.col("date") < period.start)
        & (pl.col("date") >= dt.date(period.start.year - 1, period.start.month, 1))
    )
    result = {}
    for (account,), rows in inside.group_by("client_code"):
        groups = rows.group_by("product_group").agg(pl.col("amount").sum())
        by_group = dict(zip(groups["product_group"], groups["amount"], strict=True))
        before = year_before.filter(pl.col("client_code") == account)
        bought = set(
            before.group_by("product_group")
            .agg(pl.col("amount").sum())
            .filter(pl.col("amount") > 0)["product_group"]
        )
        new = sorted(g for g, v in by_group.items() if v > 0 and g not in bought)
        result[str(account)] = (float(rows["amount"].sum()), by_group, new)
    return result


@pytest.mark.parametrize("kind", ["month", "quarter"])
def test_maven_actuals_match_an_independent_computation(
    datasets: Path, tmp_path: Path, kind: str
) -> None:
    sales = _maven_import(datasets, tmp_path)
    codes = dict(Client.objects.values_list("pk", "code"))
    for day in (dt.date(2017, 3, 15), dt.date(2017, 8, 1), dt.date(2017, 12, 1)):
        period = period_of(day, kind)
        actuals = client_actuals(codes, period, dt.date(2018, 6, 30))
        expected = _expected(sales, period)
        assert expected, "the dataset has sales in the period"
        for pk, code in codes.items():
            revenue, groups, new = expected.get(code, (0.0, {}, []))
            got = actuals[pk]
            assert got.revenue == pytest.approx(revenue, abs=0.01), (code, period)
            assert got.group_revenue.keys() == groups.keys()
            for group, amount in groups.items():
                assert got.group_revenue[group] == pytest.approx(amount, abs=0.01)
            assert got.new_groups == new, (code, period)
            # No cost in the dataset: the margin is unknown where there were sales.
            assert (got.margin is None) == (code in expected)


def test_maven_plan_progress_for_key_accounts(datasets: Path, tmp_path: Path) -> None:
    sales = _maven_import(datasets, tmp_path)
    dept = department_create()
    top = (
        sales.filter(pl.col("date") >= dt.date(2017, 10, 1))
        .group_by("client_code")
        .agg(pl.col("amount").sum())
        .sort("amount", descending=True)["client_code"][:3]
        .to_list()
    )
    Client.objects.filter(code__in=top).update(
        status=ClientStatus.KEY, responsible=dept.employees["kate"]
    )
    quarter = period_of(dt.date(2017, 10, 1), "quarter")
    plans = [
        services.plan_create(
            client=Client.objects.get(code=code), user=dept.users["kate"], period=quarter
        )
        for code in top
    ]
    # Proposed from the year before: every top account gets a revenue target with its basis.
    for plan in plans:
        revenue = plan.targets.get(kind=TargetKind.REVENUE)
        assert revenue.value and revenue.value > 0
        assert revenue.basis["months"] == 3
    progress = plans_progress(plans, dt.date(2018, 1, 15))
    for plan in plans:
        expected = float(
            sales.filter(
                (pl.col("client_code") == plan.client.code)
                & pl.col("date").is_between(quarter.start, quarter.end)
            )["amount"].sum()
        )
        figure = progress[plan.pk].target_of(TargetKind.REVENUE)
        assert figure is not None
        assert figure.actual == pytest.approx(expected, abs=0.01)
        assert figure.forecast == pytest.approx(expected, abs=0.01)  # the quarter is over


def test_a_new_group_still_to_buy_is_at_risk_until_the_period_ends(
    dept: Department_, tmp_path: Path
) -> None:
    sales_import(tmp_path, [("A1", dt.date(2025, 3, 10), "K1", "Бумага", 1000, None, 0)])
    plan = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"], period=MONTH)
    _targets(plan, new_groups=2)
    running = plans_progress([plan], dt.date(2025, 3, 20))[plan.pk]
    assert running.target_of(TargetKind.NEW_GROUPS).light == Light.AMBER  # type: ignore[union-attr]
    sales_import(tmp_path, [("A2", dt.date(2025, 3, 31), "K1", "Бумага", 1000, None, 0)], "b.csv")
    over = plans_progress([plan], dt.date(2025, 4, 2))[plan.pk]
    figure = over.target_of(TargetKind.NEW_GROUPS)
    assert figure is not None and (figure.actual, figure.light) == (1.0, Light.RED)
