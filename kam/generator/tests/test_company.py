"""The synthetic company: format, integrity, determinism and the realism an assessment relies on.

No database: the generator is plain Python writing files, so these are plain pytest functions.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from kam.generator import company
from kam.generator.company import generate_company
from kam.generator.names import is_valid_inn
from kam.generator.reference import HEADERS

END = dt.date(2025, 6, 30)
CLIENTS = 300
FILES = ("employees", "clients", "sales", "payments", "credit_decisions", "truth")
DEPARTMENTS = {"key_accounts", "acquisition", "sales", "credit_committee", "management"}
ROLES = {
    "director",
    "key_account_head",
    "key_account_manager",
    "sales_rep",
    "credit_committee_member",
    "analyst",
    "auditor",
}


class Company:
    """The files of one generated company, read as all-string frames (exact values)."""

    def __init__(self, out: Path, figures: dict[str, int | float]) -> None:
        self.out = out
        self.figures = figures
        self.frames = {name: pl.read_csv(out / f"{name}.csv", infer_schema=False) for name in FILES}

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames[name]

    @property
    def sales(self) -> pl.DataFrame:
        """Sales with typed date, money and terms."""
        return self["sales"].with_columns(
            pl.col("date").str.to_date(),
            pl.col("amount", "cost").cast(pl.Float64),
            pl.col("quantity", "payment_terms_days", "line_no").cast(pl.Int64),
        )

    def client_figures(self) -> pl.DataFrame:
        """Per client: revenue, margin, trailing-12-month revenue, joined with master and truth."""
        per_client = self.sales.group_by("client_code").agg(
            revenue=pl.col("amount").sum(),
            margin=1 - pl.col("cost").sum() / pl.col("amount").sum(),
            trailing=pl.col("amount").filter(pl.col("date") > END - dt.timedelta(days=365)).sum(),
            groups=pl.col("product_group").n_unique(),
        )
        return (
            self["clients"]
            .join(per_client, left_on="code", right_on="client_code", how="left")
            .join(self["truth"], left_on="code", right_on="client_code")
            .with_columns(
                pl.col("purchase_potential", "annual_revenue").cast(pl.Float64),
                pl.col("employees").cast(pl.Int64),
                pl.col("hidden_potential", "deferred", "has_credit_decision") == "true",
            )
        )


def _num(value: object) -> float:
    """A polars scalar (sum, mean, max …) as a float, so comparisons stay typed."""
    assert isinstance(value, int | float), value
    return float(value)


def _generate(out: Path, **overrides: object) -> Company:
    args: dict = {"clients": CLIENTS, "years": 3, "seed": 7, "end": END, **overrides}
    return Company(out, generate_company(out, **args))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Company]:
    yield _generate(tmp_path_factory.mktemp("company"))


def test_it_is_deterministic(made: Company, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again")
    for name in FILES:
        assert (made.out / f"{name}.csv").read_bytes() == (again.out / f"{name}.csv").read_bytes()
    other = _generate(tmp_path / "other", seed=8)
    assert (made.out / "sales.csv").read_bytes() != (other.out / "sales.csv").read_bytes()


def test_it_writes_the_documented_headers(made: Company) -> None:
    for name in FILES:
        with (made.out / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            assert tuple(next(csv.reader(fh))) == HEADERS[name]
    assert HEADERS["sales"][:4] == ("doc_no", "line_no", "date", "client_code")


def test_it_reports_figures_that_match_the_files(made: Company) -> None:
    sales = made["sales"]
    assert made.figures["clients"] == CLIENTS == made["clients"].height == made["truth"].height
    assert made.figures["employees"] == made["employees"].height
    assert made.figures["sales_lines"] == sales.height
    assert made.figures["documents"] == sales["doc_no"].n_unique()
    assert made.figures["payments"] == made["payments"].height
    assert made.figures["credit_decisions"] == made["credit_decisions"].height
    assert 70 <= sales.height / CLIENTS <= 130  # about 100 lines per client over 3 years


def test_it_keeps_keys_unique(made: Company) -> None:
    sales = made.sales
    assert sales.select("doc_no", "line_no").is_unique().all()
    for name, key in [
        ("payments", "doc_no"),
        ("clients", "code"),
        ("clients", "tax_id"),
        ("employees", "code"),
        ("employees", "email"),
        ("credit_decisions", "decision_no"),
    ]:
        assert made[name][key].is_unique().all(), (name, key)
    # Lines are numbered 1..n per document and share the document's header fields.
    docs = sales.group_by("doc_no").agg(
        pl.len(),
        pl.col("line_no").min().alias("first"),
        pl.col("line_no").max().alias("last"),
        *(pl.col(c).n_unique().alias(c) for c in ("date", "client_code", "employee_code")),
        pl.col("payment_terms_days").n_unique().alias("terms"),
    )
    assert (docs["first"] == 1).all() and (docs["last"] == docs["len"]).all()
    assert _num(docs["len"].max()) <= 6
    shared = docs.select("date", "client_code", "employee_code", "terms")
    assert (shared.max_horizontal() == 1).all()


def test_it_writes_valid_unique_inns(made: Company) -> None:
    tax_ids = made["clients"]["tax_id"].to_list()
    assert all(len(t) == 10 and is_valid_inn(t) for t in tax_ids)
    # A real INN (Sberbank) passes, one changed digit does not.
    assert is_valid_inn("7707083893") and not is_valid_inn("7707083894")


def test_it_dates_nothing_after_end(made: Company) -> None:
    start = END.replace(year=END.year - 3) + dt.timedelta(days=1)
    sales = made.sales
    assert sales["date"].is_between(start, END).all()
    for name in ("payments", "credit_decisions"):
        assert (made[name]["date"].str.to_date() <= END).all()
    assert (made["payments"]["amount"].cast(pl.Float64) > 0).all()
    # Money has exactly two decimals, dates are ISO.
    assert made["sales"]["amount"].str.contains(r"^-?\d+\.\d\d$").all()
    assert made["payments"]["date"].str.contains(r"^\d{4}-\d\d-\d\d$").all()


def test_it_has_a_pareto_revenue_split(made: Company) -> None:
    revenue = made.client_figures()["revenue"].fill_null(0).sort(descending=True)
    top = _num(revenue.head(CLIENTS // 5).sum()) / _num(revenue.sum())
    assert 0.72 <= top <= 0.88, top


def test_it_has_returns_seasonality_and_margins(made: Company) -> None:
    sales = made.sales
    returns = sales.filter(pl.col("amount") < 0)
    assert 0.003 <= returns.height / sales.height <= 0.03
    assert (returns["quantity"] < 0).all() and (returns["cost"] <= 0).all()
    sold = sales.filter(pl.col("amount") > 0)
    assert _num((sold["cost"] < sold["amount"]).mean()) > 0.97
    monthly = sales.group_by(pl.col("date").dt.month()).agg(pl.col("amount").sum()).sort("date")
    assert monthly["amount"][0] < monthly["amount"][11]  # January dip, December peak
    margins = sales.group_by("product_group").agg(
        margin=1 - pl.col("cost").sum() / pl.col("amount").sum()
    )
    assert margins.height == 8
    assert _num(margins["margin"].max()) - _num(margins["margin"].min()) > 0.2


def test_it_hides_potential_in_a_distinguishable_subset(made: Company) -> None:
    clients = made.client_figures()
    hidden = clients.filter(pl.col("hidden_potential"))
    assert hidden.height == round(0.04 * CLIENTS)
    assert (hidden["segment"] == "hidden_potential").all()
    assert hidden["purchase_potential"].is_not_null().all()
    ratio = hidden["purchase_potential"] / hidden["trailing"]
    assert ratio.is_between(7.9, 30.5).all()  # 8-30x, potential rounded to 1 000
    others = clients.filter(~pl.col("hidden_potential") & (pl.col("segment") != "new"))
    assert _num((hidden["margin"] > clients["margin"].median()).mean()) >= 0.9
    assert (hidden["annual_revenue"] > clients["annual_revenue"].median()).all()
    assert _num(hidden["employees"].median()) > _num(clients["employees"].median())
    assert (hidden["groups"] >= 3).all()
    assert (hidden["payment_behaviour"] == "on_time").all()
    # Not a clone army: sizes spread over an order of magnitude.
    assert _num(hidden["annual_revenue"].max()) / _num(hidden["annual_revenue"].min()) > 3
    known = others.filter(pl.col("purchase_potential").is_not_null() & (pl.col("trailing") > 0))
    typical = (known["purchase_potential"] / known["trailing"]).median()
    assert _num(typical) < 6 < _num(ratio.median())


def test_it_assigns_segments_and_responsibility(made: Company) -> None:
    clients = made.client_figures()
    employees = made["employees"]
    roles = dict(zip(employees["code"], employees["role"], strict=True))
    key = clients.filter(pl.col("segment") == "key")
    assert key.height == round(0.03 * CLIENTS)
    assert all(roles[code] == "key_account_manager" for code in key["responsible_code"])
    others = clients.filter(pl.col("segment") != "key")["responsible_code"].drop_nulls()
    assert {roles[code] for code in others} == {"sales_rep"}
    assert clients["responsible_code"].null_count() <= 0.03 * CLIENTS
    assert 0.55 <= _num(clients["purchase_potential"].is_not_null().mean()) <= 0.75
    assert 0.03 <= _num(clients["group_code"].is_not_null().mean()) <= 0.09
    assert clients.group_by("group_code").len().drop_nulls()["len"].is_between(2, 6).all()
    assert set(clients["segment"]) == {
        "key",
        "hidden_potential",
        "growing",
        "stable",
        "declining",
        "churned",
        "new",
        "small",
    }


def test_it_models_the_staff(made: Company) -> None:
    employees = made["employees"]
    assert set(employees["department"]) == DEPARTMENTS
    assert set(employees["role"]) <= ROLES
    assert employees.filter(pl.col("role") == "director")["code"].to_list() == ["E0001"]
    committee = employees.filter(pl.col("department") == "credit_committee")
    assert committee.height == 3 and (committee["role"] == "credit_committee_member").all()
    assert employees["email"].str.contains(r"^[a-z.]+\d*@example\.com$").all()
    assert employees["name"].str.contains(r"^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$").all()


def test_it_leaves_about_15_percent_of_deferred_clients_without_a_decision(made: Company) -> None:
    clients = made.client_figures()
    sales = made.sales
    deferred_sales = sales.filter(pl.col("payment_terms_days") > 0)
    first_deferred = deferred_sales.group_by("client_code").agg(pl.col("date").min().alias("first"))
    assert set(first_deferred["client_code"]) == set(clients.filter("deferred")["code"])
    decisions = made["credit_decisions"].with_columns(
        pl.col("date", "valid_until").str.to_date(), pl.col("max_terms_days").cast(pl.Int64)
    )
    assert set(decisions["client_code"]) == set(clients.filter("has_credit_decision")["code"])
    deferred = clients.filter("deferred")
    without = _num((~deferred["has_credit_decision"]).mean())
    assert 0.12 <= without <= 0.18, without
    # Decided before the first deferred sale, valid 1-2 years, renewed over the period.
    first = (
        decisions.group_by("client_code")
        .agg(pl.col("date").min())
        .join(first_deferred, on="client_code")
    )
    assert (first["date"] < first["first"]).all()
    days = (decisions["valid_until"] - decisions["date"]).dt.total_days()
    assert days.is_between(365, 730).all()
    assert _num(decisions.group_by("client_code").len()["len"].max()) >= 2
    # A few decisions allow fewer days than the terms actually used.
    terms = deferred_sales.group_by("client_code").agg(pl.col("payment_terms_days").max())
    short = decisions.join(terms, on="client_code").filter(
        pl.col("max_terms_days") < pl.col("payment_terms_days")
    )
    assert 1 <= short["client_code"].n_unique() <= 0.12 * decisions["client_code"].n_unique()


def test_it_points_every_reference_to_an_existing_row(made: Company) -> None:
    clients = set(made["clients"]["code"])
    employees = set(made["employees"]["code"])
    documents = set(made["sales"]["doc_no"])
    for name in ("sales", "payments", "credit_decisions", "truth"):
        assert set(made[name]["client_code"]) <= clients, name
    assert set(made["sales"]["employee_code"]) <= employees
    assert set(made["clients"]["responsible_code"].drop_nulls()) <= employees
    assert set(made["employees"]["manager_code"].drop_nulls()) <= employees
    linked = made["payments"].filter(pl.col("invoice_doc_no").is_not_null())
    assert set(linked["invoice_doc_no"]) <= documents
    # A payment names an invoice of the same client.
    invoice_client = made["sales"].select("doc_no", "client_code").unique()
    joined = linked.join(invoice_client, left_on="invoice_doc_no", right_on="doc_no")
    assert (joined["client_code"] == joined["client_code_right"]).all()
    assert 0.7 <= linked.height / made["payments"].height <= 0.9


def test_it_never_overpays_an_invoice(made: Company) -> None:
    totals = made.sales.group_by("doc_no").agg(pl.col("amount").sum().alias("total"))
    paid = (
        made["payments"]
        .filter(pl.col("invoice_doc_no").is_not_null())
        .group_by("invoice_doc_no")
        .agg(pl.col("amount").cast(pl.Float64).sum().alias("paid"))
        .join(totals, left_on="invoice_doc_no", right_on="doc_no")
    )
    assert (paid["paid"] <= paid["total"] + 0.005).all()
    assert (paid["total"] > 0).all()  # returns are never paid
    # Overall, most of what was sold is paid, but not everything (late and bad payers).
    share = _num(made["payments"]["amount"].cast(pl.Float64).sum()) / _num(totals["total"].sum())
    assert 0.85 < share < 1.0


def test_it_names_clients_realistically_including_formula_lookalikes(made: Company) -> None:
    assert made["clients"]["name"].is_unique().all()
    names = set(made["clients"]["name"])
    assert {'=ООО "Формула"', "+7 Холдинг", "@Бизнес"} <= names
    assert sum(n.startswith("ИП ") for n in names) > 0
    assert sum(n.startswith("ООО «") for n in names) > CLIENTS / 3


def test_it_streams_chunks_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(company, "CHUNK_SIZE", 100)
    done: list[int] = []
    figures = generate_company(
        tmp_path, clients=250, years=2, seed=3, end=END, progress=done.append
    )
    assert done == [100, 200, 250]
    made = Company(tmp_path, figures)
    assert made["clients"]["code"].to_list() == [f"C{i:06d}" for i in range(1, 251)]
    docs = made["sales"]["doc_no"].unique(maintain_order=True)
    assert docs.to_list() == [f"S{i:09d}" for i in range(1, int(figures["documents"]) + 1)]
    assert made["payments"]["doc_no"].to_list() == [
        f"P{i:08d}" for i in range(1, int(figures["payments"]) + 1)
    ]
    groups = made["clients"].filter(pl.col("group_code").is_not_null())
    assert (groups.group_by("group_code").len()["len"] >= 2).all()
    assert made["clients"]["tax_id"].is_unique().all()


@pytest.mark.parametrize(
    ("field", "value"), [("clients", 0), ("years", 0), ("clients", -5), ("seed", -1)]
)
def test_it_rejects_bad_arguments(tmp_path: Path, field: str, value: int) -> None:
    args: dict = {"clients": 10, "years": 1, "seed": 1, "end": END, field: value}
    with pytest.raises(ValueError, match=field):
        generate_company(tmp_path, **args)


def test_it_handles_a_leap_day_end_and_a_single_client(tmp_path: Path) -> None:
    made = _generate(tmp_path, clients=1, years=1, end=dt.date(2024, 2, 29))
    sales = made.sales
    assert made["clients"].height == 1 and sales.height >= 1
    assert sales["date"].is_between(dt.date(2023, 3, 1), dt.date(2024, 2, 29)).all()
