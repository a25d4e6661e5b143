"""Real public datasets (../shared/datasets): Maven CRM accounts and won deals, Northwind
customers with their genuinely malformed rows."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from kam.clients.models import Client, HoldingGroup
from kam.imports.services import import_file
from kam.imports.tests.helpers import snapshot
from kam.ledger.models import MonthlyRollup

pytestmark = pytest.mark.django_db

NORTHWIND_HEADER = (
    "code,name,contactName,contactTitle,address,city,region,postalCode,country,phone,fax"
)


def _northwind_customers(datasets: Path, tmp_path: Path, *, repair: bool) -> Path:
    """customers.csv with our header names; optionally with the split addresses rejoined."""
    lines = (datasets / "northwind" / "customers.csv").read_text(encoding="utf-8").splitlines()
    body = lines[1:]
    if repair:
        # SOURCE.md: in an over-long row the 5th field (address) was split at ", ".
        fixed = []
        for row in csv.reader(body):
            if len(row) == 12:
                row = [*row[:4], f"{row[4]},{row[5]}", *row[6:]]
            fixed.append(",".join(f'"{c}"' if "," in c else c for c in row))
        body = fixed
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([NORTHWIND_HEADER, *body]) + "\n", encoding="utf-8")
    return path


def test_northwind_malformed_rows_are_reported_exactly(datasets: Path, tmp_path: Path) -> None:
    source = datasets / "northwind" / "customers.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        expected = [
            number for number, row in enumerate(csv.reader(handle), start=1) if len(row) > 11
        ]
    assert len(expected) == 24  # SOURCE.md: 24 of 91 rows have 12 fields
    before = snapshot(exclude=())
    report = import_file(
        kind="clients", path=_northwind_customers(datasets, tmp_path, repair=False)
    )
    assert not report.ok
    assert [e["line"] for e in report.errors] == expected
    assert {e["reason"] for e in report.errors} == {"the row has 1 more cell(s) than the header"}
    assert snapshot(exclude=()) == before


def test_northwind_customers_import_once_repaired(datasets: Path, tmp_path: Path) -> None:
    report = import_file(kind="clients", path=_northwind_customers(datasets, tmp_path, repair=True))
    assert report.ok, report.errors[:3]
    assert report.created == 91
    assert Client.objects.get(code="BLONP").name == "Blondesddsl père et fils"
    assert any("contactName" in notice for notice in report.notices)


def _maven(datasets: Path, tmp_path: Path) -> tuple[Path, Path, pl.DataFrame]:
    folder = datasets / "maven-crm-sales-opportunities"
    accounts = pl.read_csv(folder / "accounts.csv", infer_schema=False).select(
        pl.col("account").alias("code"),
        pl.col("account").alias("name"),
        pl.col("sector").alias("industry"),
        pl.col("office_location").alias("region"),
        pl.col("subsidiary_of").alias("group_code"),
        pl.col("employees"),
        pl.col("revenue").alias("annual_revenue"),
    )
    accounts_path = tmp_path / "accounts.csv"
    accounts.write_csv(accounts_path)
    won = pl.read_csv(folder / "sales_pipeline.csv", infer_schema=False).filter(
        (pl.col("deal_stage") == "Won") & pl.col("account").is_not_null()
    )
    sales = won.select(
        pl.col("opportunity_id").alias("doc_no"),
        pl.col("close_date").alias("date"),
        pl.col("account").alias("client_code"),
        pl.col("product").alias("product_code"),
        pl.col("product").alias("product_group"),
        pl.lit("1").alias("quantity"),
        pl.col("close_value").alias("amount"),
    )
    sales_path = tmp_path / "sales.csv"
    sales.write_csv(sales_path)
    return accounts_path, sales_path, sales


def test_maven_accounts_and_won_deals_build_the_rollup(datasets: Path, tmp_path: Path) -> None:
    accounts_path, sales_path, sales = _maven(datasets, tmp_path)
    report = import_file(kind="clients", path=accounts_path)
    assert report.ok, report.errors[:3]
    assert report.created == 85
    groups = pl.read_csv(accounts_path)["group_code"].drop_nulls().n_unique()
    assert HoldingGroup.objects.count() == groups
    report = import_file(kind="sales", path=sales_path)
    assert report.ok, report.errors[:3]
    assert report.created == sales.height
    # The roll-up, computed independently from the file with Polars.
    expected = (
        sales.with_columns(
            pl.col("date").str.to_date().dt.truncate("1mo").alias("month"),
            pl.col("amount").cast(pl.Float64),
        )
        .group_by("client_code", "month", "product_group")
        .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("documents"))
    )
    actual = {
        (r["client__code"], r["month"], r["product_group"]): (r["revenue"], r["documents"])
        for r in MonthlyRollup.objects.values(
            "client__code", "month", "product_group", "revenue", "documents"
        )
    }
    assert len(actual) == expected.height
    for row in expected.iter_rows(named=True):
        key = (row["client_code"], row["month"], row["product_group"])
        assert actual[key] == (
            Decimal(str(row["revenue"])).quantize(Decimal("0.01")),
            row["documents"],
        )
