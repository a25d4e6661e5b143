"""kam audit over a generated company imported through the real import: it finds exactly the
deferred documents without a valid credit decision (checked against the files themselves),
opens one incident per breach, and a re-run opens nothing new."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kam.assessment.testing import END, company_import
from kam.audit.models import AuditEntry
from kam.credit.models import CreditDecision
from kam.incidents.choices import EventKind, IncidentKind, IncidentState
from kam.incidents.models import Incident
from kam.ledger.models import SalesDocument
from kam.rules.audit import audit_run
from kam.rules.models import AuditRun, RuleNotice

pytestmark = pytest.mark.django_db
RULE = "deferred_payment_requires_credit_approval"


def expected_from_files(folder: Path) -> dict[str, str]:
    """doc_no → seller code of every deferred document without a credit decision valid on
    its date that allows its terms, read straight from sales.csv and credit_decisions.csv."""
    decisions: dict[str, list[tuple[dt.date, dt.date | None, int]]] = defaultdict(list)
    with (folder / "credit_decisions.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            until = dt.date.fromisoformat(row["valid_until"]) if row["valid_until"] else None
            decisions[row["client_code"]].append(
                (dt.date.fromisoformat(row["date"]), until, int(row["max_terms_days"]))
            )
    documents: dict[str, dict[str, object]] = {}
    with (folder / "sales.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            doc = documents.setdefault(
                row["doc_no"],
                {
                    "date": dt.date.fromisoformat(row["date"]),
                    "client": row["client_code"],
                    "terms": 0,
                    "seller": row["employee_code"],
                },
            )
            doc["terms"] = max(int(doc["terms"]), int(row["payment_terms_days"] or 0))  # type: ignore[call-overload]
    found = {}
    for doc_no, doc in documents.items():
        terms = int(doc["terms"])  # type: ignore[call-overload]
        if terms <= 0:
            continue
        on = doc["date"]
        covered = any(
            start <= on and (until is None or on <= until) and max_terms >= terms  # type: ignore[operator]
            for start, until, max_terms in decisions[str(doc["client"])]
        )
        if not covered:
            found[doc_no] = str(doc["seller"])
    return found


@pytest.fixture
def company(tmp_path: Path) -> Path:
    return company_import(tmp_path, clients=120, seed=11)


def run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("audit", "--json", *args, stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_it_finds_exactly_the_deferred_documents_without_a_valid_decision(
    company: Path, tmp_path: Path
) -> None:
    expected = expected_from_files(company)
    assert len(expected) > 20  # the generator leaves some deferred clients undecided
    out = tmp_path / "violations.csv"
    figures = run("--as-of", END.isoformat(), "--rule", RULE, "--violations-out", str(out))
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["subject_key"]: r["violator_code"] for r in rows} == expected
    assert {r["rule_code"] for r in rows} == {RULE}
    assert {r["subject_type"] for r in rows} == {"sales_document"}
    assert figures["violations"] == figures["incidents_opened"] == len(expected)
    assert figures["by_rule"] == {RULE: len(expected)}
    assert figures["subjects"] == SalesDocument.objects.filter(date__lte=END).count()
    for key in ("as_of", "rules", "subjects", "already_open", "notices", "seconds"):
        assert key in figures
    incidents = Incident.objects.filter(rule__code=RULE)
    assert set(incidents.values_list("subject_key", flat=True)) == set(expected)
    sample = incidents.select_related("violator", "rule_version").first()
    assert sample is not None
    assert sample.violator is not None and sample.violator.code == expected[sample.subject_key]
    assert sample.state == IncidentState.OPEN and sample.kind == IncidentKind.VIOLATION
    assert sample.events.get().kind == EventKind.OPENED
    assert sample.facts["payment_terms_days"] > 0
    assert "credit-committee decision" in sample.message()


def test_a_rerun_opens_nothing_new(company: Path) -> None:
    first = run("--as-of", END.isoformat())
    second = run("--as-of", END.isoformat())
    assert first["incidents_opened"] > 0
    assert second["incidents_opened"] == 0
    assert second["notices"] == 0
    assert second["already_open"] == first["incidents_opened"]
    assert second["violations"] == first["violations"]
    assert Incident.objects.count() == first["incidents_opened"]
    assert AuditRun.objects.count() == 2
    assert AuditEntry.objects.filter(action="rules.audit_run").count() == 2


def test_since_limits_the_documents_judged_not_the_history_they_are_judged_by(
    company: Path,
) -> None:
    since = END.replace(day=1)
    everything = audit_run(as_of=END, rule_code=RULE)
    Incident.objects.all().delete()
    recent = audit_run(as_of=END, since=since, rule_code=RULE)
    assert (
        recent.figures["subjects"]
        == SalesDocument.objects.filter(date__gte=since, date__lte=END).count()
    )
    recent_keys = set(recent.violations["subject_key"].to_list())
    all_keys = set(
        everything.violations.filter(
            everything.violations["subject_key"].is_in(
                list(SalesDocument.objects.filter(date__gte=since).values_list("doc_no", flat=True))
            )
        )["subject_key"].to_list()
    )
    assert recent_keys == all_keys


def test_a_decision_recorded_later_clears_the_breach_and_the_incident_says_so(
    company: Path,
) -> None:
    audit_run(as_of=END, rule_code=RULE)
    incident = Incident.objects.filter(rule__code=RULE).order_by("pk").first()
    assert incident is not None
    document = SalesDocument.objects.get(doc_no=incident.subject_key)
    CreditDecision.objects.create(
        decision_no="LATE-1",
        client=document.client,
        date=document.date - dt.timedelta(days=1),
        credit_limit=10**9,
        max_terms_days=365,
    )
    again = audit_run(as_of=END, rule_code=RULE)
    incident.refresh_from_db()
    assert again.figures["cleared"] >= 1
    assert incident.condition_cleared_at is not None
    assert incident.events.filter(kind=EventKind.CLEARED).exists()
    # It stays open: an incident is closed by its handler, not by the data.
    assert incident.state == IncidentState.OPEN


def test_recommendations_record_notices_not_incidents(company: Path) -> None:
    figures = run("--as-of", END.isoformat(), "--rule", "plan_actions_on_time")
    assert figures["incidents_opened"] == 0
    assert figures["notices"] == RuleNotice.objects.count()


def test_overdue_incidents_escalate_to_the_director(company: Path) -> None:
    audit_run(as_of=END, rule_code=RULE)
    Incident.objects.update(deadline=timezone.localdate() - dt.timedelta(days=1))
    later = audit_run(as_of=END, rule_code=RULE)
    assert later.figures["escalated"] == Incident.objects.count()
    director = Incident.objects.values_list("handler__role", flat=True).distinct()
    assert set(director) == {"director"}
    assert not Incident.objects.filter(escalated_at__isnull=True).exists()
    assert audit_run(as_of=END, rule_code=RULE).figures["escalated"] == 0


def test_the_command_refuses_bad_arguments(company: Path, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no rule"):
        call_command("audit", "--rule", "no_such_rule")
    with pytest.raises(CommandError, match="future"):
        call_command("audit", "--as-of", (timezone.localdate() + dt.timedelta(days=1)).isoformat())
    with pytest.raises(CommandError, match="not a date"):
        call_command("audit", "--as-of", "31.12.2026")
    with pytest.raises(CommandError, match="--since"):
        call_command("audit", "--as-of", "2026-01-01", "--since", "2026-02-01")
    with pytest.raises(CommandError, match="no such folder"):
        call_command("audit", "--violations-out", str(tmp_path / "missing" / "v.csv"))
