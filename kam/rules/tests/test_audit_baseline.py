"""The benchmark's pandas baseline (kam.rules.baseline) computes what the audit computes: the
same facts of every sales document and the same breaches of the 20 rules of audit_1m, on a
generated company; and the audit writes incidents and notices as the models would."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kam.assessment.models import StatusDecision
from kam.assessment.testing import END, company_import
from kam.bench_audit import VARIANTS, add_variants
from kam.clients.models import Client
from kam.credit.models import CreditDecision
from kam.incidents.models import Incident, IncidentEvent
from kam.incidents.services import Handlers, new_incident
from kam.rules.audit import audit_run, breaches_of
from kam.rules.baseline import CONDITIONS, read_pandas, sales_document_facts, violations_pandas
from kam.rules.engine import evaluate, facts_json, row_facts
from kam.rules.facts import Scope, subject_type
from kam.rules.models import Rule, RuleNotice

pytestmark = pytest.mark.django_db

FACTS = [
    "client_status",
    "has_valid_credit_decision",
    "credit_max_terms_days",
    "credit_limit",
    "client_unpaid_before",
    "exposure",
    "client_overdue_days",
    "seller_is_responsible",
    "seller_department",
    "is_deferred",
    "is_return",
]


@pytest.fixture
def company(tmp_path: Path) -> Path:
    folder = company_import(tmp_path, clients=150, seed=11)
    add_variants()
    # Status decisions and a revoked credit decision, so that "on the document's date" has
    # something to choose between.
    clients = list(Client.objects.order_by("pk")[:6])
    for number, client in enumerate(clients):
        decision = StatusDecision.objects.create(
            client=client,
            status_before="standard",
            status="key" if number % 2 == 0 else "potential_key",
            further_work="none",
            reason="test",
        )
        decided = timezone.make_aware(dt.datetime(2025, 1 + number, 10, 23, 30))
        StatusDecision.objects.filter(pk=decision.pk).update(decided_at=decided)
    revoked = CreditDecision.objects.order_by("pk").first()
    assert revoked is not None
    CreditDecision.objects.filter(pk=revoked.pk).update(
        revoked_at=timezone.make_aware(dt.datetime.combine(revoked.date, dt.time(12)))
        + dt.timedelta(days=40)
    )
    return folder


def pandas_frames() -> dict[str, pd.DataFrame]:
    connection.ensure_connection()
    return read_pandas(connection.connection, END, settings.TIME_ZONE)


@pytest.mark.sqlite_only  # pandas reads the embedded database's connection
def test_the_pandas_way_computes_the_same_facts(company: Path) -> None:
    real = subject_type("sales_document").compute(Scope(as_of=END)).to_pandas()
    base = sales_document_facts(pandas_frames())
    merged = real.merge(base, left_on="subject_key", right_on="doc_no", suffixes=("", "_pd"))
    assert len(merged) == len(real) == len(base) > 4000
    for name in FACTS:
        ours, theirs = merged[name], merged[f"{name}_pd"]
        if name in ("credit_max_terms_days", "credit_limit"):
            same = (ours.isna() & theirs.isna()) | (ours == theirs)
        else:
            same = ours == theirs
        assert same.all(), (name, merged.loc[~same, ["subject_key", name, f"{name}_pd"]].head())
    assert merged["client_status"].isin(["key", "potential_key"]).any()
    assert (merged["client_overdue_days"] > 0).any() and (merged["exposure"] > 0).any()


@pytest.mark.sqlite_only  # pandas reads the embedded database's connection
def test_the_pandas_way_finds_exactly_the_audits_breaches(company: Path) -> None:
    sales_rules = set(
        Rule.objects.filter(
            enabled_version__isnull=False, subject_type="sales_document"
        ).values_list("code", flat=True)
    )
    assert {code for code, *_ in VARIANTS} <= sales_rules <= set(CONDITIONS)
    result = audit_run(as_of=END)
    audit = {
        (code, key)
        for code, kind, key in result.violations.select(
            "rule_code", "subject_type", "subject_key"
        ).iter_rows()
        if kind == "sales_document"
    }
    found = violations_pandas(pandas_frames())
    assert set(found.itertuples(index=False, name=None)) == audit
    by_rule = found.groupby("rule_code").size()
    assert len(by_rule) >= len(sales_rules) - 1  # nearly every one of them finds some
    assert (
        result.figures["by_rule"]["deferred_payment_requires_credit_approval"]
        == (by_rule["deferred_payment_requires_credit_approval"])
    )


def test_the_facts_stored_are_row_facts(company: Path) -> None:
    kind = subject_type("sales_document")
    frame = kind.compute(Scope(as_of=END))
    stored = facts_json(kind, frame).to_list()
    for row, text in zip(frame.iter_rows(named=True), stored, strict=True):
        assert json.loads(text) == row_facts(kind, row)
    # Python's rounding, also on the ties Polars rounds otherwise.
    odd = pl.DataFrame({"x": [0.125, 2.675, 1.005, -0.125, None, 10.0]})
    from kam.rules.engine import _round2

    assert _round2(odd["x"]).to_list() == [0.12, 2.67, 1.0, -0.12, None, 10.0]


def test_the_audit_writes_what_the_models_would(company: Path) -> None:
    """Every column of an incident (and its event) and of a notice as ``new_incident`` and
    the ORM would have written them."""
    rule = "deferred_payment_requires_credit_approval"
    result = audit_run(as_of=END)
    kind = subject_type("sales_document")
    frame = kind.compute(Scope(as_of=END))
    version = Rule.objects.get(code=rule).enabled_version
    assert version is not None
    breaches = breaches_of(kind, version, frame, evaluate(kind, frame, version.condition, {}))
    handlers = Handlers()
    fields = [
        f.attname
        for f in Incident._meta.concrete_fields
        if f.name not in ("id", "opened_at", "audit_run")
    ]
    written = {i.subject_key: i for i in Incident.objects.filter(rule__code=rule)}
    assert len(written) == len(breaches) > 20
    for breach in breaches:
        expected = new_incident(breach, handlers, today=timezone.localdate())
        incident = written[breach.subject_key]
        incident.refresh_from_db()  # the facts as JSON read them back
        for name in fields:
            assert getattr(incident, name) == getattr(expected, name), name
        assert incident.audit_run_id == result.run.pk
        assert incident.opened_at is not None
    event = IncidentEvent.objects.filter(incident__rule__code=rule).first()
    assert event is not None
    assert (event.kind, event.state, event.state_before, event.actor_label, event.data) == (
        "opened",
        "open",
        "",
        "audit",
        {"audit_run": result.run.pk},
    )
    assert IncidentEvent.objects.count() == Incident.objects.count()
    notice = RuleNotice.objects.filter(rule__code="large_return_reviewed").first()
    assert notice is not None
    row = frame.filter(pl.col("subject_key") == notice.subject_key).row(0, named=True)
    assert notice.facts == row_facts(kind, row)
    assert (notice.employee_id, notice.client_id, notice.subject_date, notice.period) == (
        row["seller_id"],
        row["client_id"],
        row["document_date"],
        row["period_month"],
    )


READ_PATHS = """
import json
from django.db import transaction
from polars.testing import assert_frame_equal
from kam.assessment.frames import _connectorx_url
from kam.assessment.testing import END
from kam.rules.audit import audit_run


class Undo(Exception):
    pass


try:
    with transaction.atomic():  # Django's own cursor reads everything; then undone
        assert _connectorx_url() is None
        slow = audit_run(as_of=END)
        raise Undo
except Undo:
    pass
assert _connectorx_url() is not None
fast = audit_run(as_of=END)  # the reader process, the shared frames read ahead
keys = ["rule_code", "subject_type", "subject_key"]
assert_frame_equal(fast.violations.sort(keys), slow.violations.sort(keys))
for name in ("subjects", "violations", "incidents_opened", "notices", "by_rule"):
    assert fast.figures[name] == slow.figures[name], name
print("same", json.dumps(fast.figures["by_rule"]))
"""


@pytest.mark.sqlite_only  # the reader process is how SQLite files are read
def test_the_reader_process_and_djangos_cursor_find_the_same(tmp_path: Path) -> None:
    """An audit of a database file reads through one reader process with the frames about
    every client read ahead; inside a transaction it reads on Django's connection. Both find
    the same breaches, and the reader leaves no files behind."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {
        **os.environ,
        "KAM_DATABASE_URL": f"sqlite:///{tmp_path}/kam.sqlite3",
        "TMPDIR": str(scratch),
    }

    def kam(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kam.manage", *args], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    kam("migrate", "-v0")
    folder = tmp_path / "company"
    kam(
        "generate",
        "--clients",
        "120",
        "--seed",
        "11",
        "--end",
        END.isoformat(),
        "--out",
        str(folder),
    )
    for kind in ("employees", "clients", "sales", "payments", "credit_decisions"):
        kam("import", kind, str(folder / f"{kind}.csv"))
    out = kam("shell", "-c", READ_PATHS)
    assert "same" in out
    by_rule = json.loads(out.split("same", 1)[1])
    assert by_rule["deferred_payment_requires_credit_approval"] > 20
    assert list(scratch.iterdir()) == []
