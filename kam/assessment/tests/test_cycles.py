"""Re-evaluation cycles, proposals and status decisions on a generated company in the database."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import polars as pl
import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from kam.assessment import scoring
from kam.assessment.baseline import client_metrics_pandas
from kam.assessment.choices import Review
from kam.assessment.frames import assessment_frames
from kam.assessment.metrics import METRIC_SCHEMA, Window
from kam.assessment.models import (
    Assessment,
    AssessmentCycle,
    DataCollection,
    ScoringModel,
    StatusDecision,
)
from kam.assessment.selectors import assessment_explanation, model_preview
from kam.assessment.services import (
    DecisionInput,
    active_model,
    cycle_due,
    cycle_run,
    decisions_record,
    model_activate,
    model_save,
    proposals_accept,
    proposals_reject,
)
from kam.assessment.testing import END
from kam.audit.models import AuditEntry
from kam.clients.models import Client, Contact
from kam.organization.choices import DepartmentKind, Role
from kam.organization.testing import staff_create

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kam.generator.company import generate_company

    folder = tmp_path_factory.mktemp("company")
    generate_company(folder, clients=300, years=3, seed=7, end=END)
    return folder


@pytest.fixture
def company(generated: Path) -> Path:
    from kam.imports.services import import_file

    for kind in ("employees", "clients", "sales", "payments", "credit_decisions"):
        assert import_file(kind=kind, path=generated / f"{kind}.csv").ok
    return generated


@pytest.fixture
def people() -> dict[str, User]:
    users, _employees = staff_create(
        [
            ("head", "T-HEAD", "Head", DepartmentKind.KEY_ACCOUNTS, Role.KEY_ACCOUNT_HEAD),
            ("analyst", "T-AN", "Analyst", DepartmentKind.MANAGEMENT, Role.ANALYST),
            ("rep", "T-REP", "Rep", DepartmentKind.ACQUISITION, Role.SALES_REP),
            ("auditor", "T-AUD", "Auditor", DepartmentKind.MANAGEMENT, Role.AUDITOR),
        ]
    )
    return users


def test_a_cycle_assesses_every_client_and_matches_the_pandas_way(company: Path) -> None:
    cycle = cycle_run(as_of=END)
    assert cycle.clients == Client.objects.count() == 300
    assert cycle.promote + cycle.demote + cycle.keep == 300
    assert Assessment.objects.filter(cycle=cycle).count() == 300
    # Independent check: the same frames through the straightforward pandas computation.
    window = Window.of(END)
    frames = assessment_frames(window)
    expected = pl.from_pandas(
        client_metrics_pandas(
            frames["clients"].to_pandas(),
            frames["rollup"].to_pandas(),
            frames["documents"].to_pandas(),
            frames["payments"].to_pandas(),
            frames["prior"].to_pandas(),
            window,
        )
    ).sort("client_id")
    stored = pl.DataFrame(
        list(Assessment.objects.filter(cycle=cycle).values("client_id", *METRIC_SCHEMA)),
        infer_schema_length=None,
    ).sort("client_id")
    for name, dtype in METRIC_SCHEMA.items():
        if dtype == pl.String:
            assert stored[name].fill_null("").to_list() == expected[name].fill_null("").to_list(), (
                name
            )
            continue
        mine, theirs = stored[name].cast(pl.Float64), expected[name].cast(pl.Float64)
        assert (mine.is_null() == theirs.is_null()).all(), name
        assert ((mine - theirs).abs() <= 1e-6 * (1 + theirs.abs())).fill_null(True).all(), name


def test_hidden_potential_accounts_come_out_strategic_and_explained(company: Path) -> None:
    cycle = cycle_run(as_of=END)
    truth = pl.read_csv(company / "truth.csv")
    hidden = truth.filter(pl.col("hidden_potential"))["client_code"].to_list()
    found = list(
        Assessment.objects.filter(cycle=cycle, client__code__in=hidden).select_related(
            "cycle__model"
        )
    )
    assert len(found) == len(hidden) >= 10
    strategic = [a for a in found if a.cell == "strategic"]
    proposed = [a for a in found if a.proposed_status in ("potential_key", "key")]
    assert len(strategic) / len(found) >= 0.9
    assert len(proposed) / len(found) >= 0.75
    # Ordinary clients are rarely proposed.
    others = Assessment.objects.filter(cycle=cycle).exclude(client__code__in=hidden)
    assert others.filter(proposed_status="potential_key").count() / others.count() < 0.1
    explanation = assessment_explanation(proposed[0])
    for axis in ("potential", "attractiveness"):
        assert explanation[axis]["score"] == pytest.approx(getattr(proposed[0], axis), abs=0.1)
    criteria = {c["metric"]: c for c in explanation["potential"]["criteria"]}
    assert criteria["purchase_potential"]["contribution"] > 0
    assert criteria["share_of_wallet"]["value"] < 0.2  # buys a fraction of what it could


def test_rerun_for_the_same_date_is_idempotent_and_keeps_reviews(company: Path, people) -> None:
    first = cycle_run(as_of=END)
    rows = list(
        Assessment.objects.filter(cycle=first)
        .order_by("client_id")
        .values("client_id", "potential", "attractiveness", "cell", "proposed_status", "change")
    )
    pending = Assessment.objects.filter(cycle=first, review=Review.PENDING)
    some = list(pending.values_list("client_id", flat=True)[:2])
    proposals_reject(cycle=first, client_ids=some, user=people["head"], note="not now")
    again = cycle_run(as_of=END)
    assert again.pk == first.pk
    assert AssessmentCycle.objects.count() == 1
    assert rows == list(
        Assessment.objects.filter(cycle=again)
        .order_by("client_id")
        .values("client_id", "potential", "attractiveness", "cell", "proposed_status", "change")
    )
    assert set(
        Assessment.objects.filter(cycle=again, review=Review.REJECTED).values_list(
            "client_id", flat=True
        )
    ) == set(some)
    assert AuditEntry.objects.filter(action="assessment.cycle_rerun").count() == 1


def test_a_decision_changes_status_with_history_and_opens_data_collection(
    company: Path, people
) -> None:
    cycle = cycle_run(as_of=END)
    proposal = (
        Assessment.objects.filter(
            cycle=cycle, proposed_status="potential_key", review=Review.PENDING
        )
        .select_related("client")
        .first()
    )
    assert proposal is not None
    client = proposal.client
    [decision] = decisions_record(
        items=[
            DecisionInput(
                client.pk, "potential_key", "collect", "Study the client", dt.date(2027, 1, 31)
            )
        ],
        user=people["head"],
    )
    client.refresh_from_db()
    assert client.status == "potential_key"
    assert (decision.status_before, decision.status) == ("standard", "potential_key")
    assert decision.model_version == cycle.model.version
    assert decision.potential == pytest.approx(proposal.potential)
    assert decision.decided_by == people["head"]
    proposal.refresh_from_db()
    assert proposal.review == Review.ACCEPTED
    collection = DataCollection.objects.get(client=client, closed_at__isnull=True)
    assert collection.opened_by == decision
    entry = AuditEntry.objects.get(action="client.status_decided", object_id=str(client.pk))
    assert entry.data["before"] == "standard" and entry.data["after"] == "potential_key"
    # Leaving the potential group closes the collection.
    decisions_record(
        items=[DecisionInput(client.pk, "key", "develop", "Signed a frame contract")],
        user=people["head"],
    )
    assert not DataCollection.objects.filter(client=client, closed_at__isnull=True).exists()
    assert StatusDecision.objects.filter(client=client).count() == 2


def test_decisions_are_checked_and_only_deciders_decide(company: Path, people) -> None:
    client = Client.objects.first()
    assert client is not None
    with pytest.raises(ValidationError) as error:
        decisions_record(
            items=[DecisionInput(client.pk, "key", "develop", "  ")], user=people["head"]
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        decisions_record(
            items=[DecisionInput(client.pk, "gold", "develop", "x")], user=people["head"]
        )
    for who in ("rep", "auditor", "analyst"):
        with pytest.raises(PermissionDenied):
            decisions_record(
                items=[DecisionInput(client.pk, "key", "develop", "x")], user=people[who]
            )
    client.refresh_from_db()
    assert client.status == "standard"
    assert not StatusDecision.objects.exists()


def test_bulk_accept_then_a_second_cycle_shows_what_changed(company: Path, people) -> None:
    earlier = cycle_run(as_of=dt.date(2026, 7, 31))
    promoted = list(
        Assessment.objects.filter(cycle=earlier, change="promote").values_list(
            "client_id", "proposed_status"
        )
    )
    assert promoted
    decisions = proposals_accept(
        cycle=earlier, client_ids=[c for c, _s in promoted], user=people["head"]
    )
    assert len(decisions) == len(promoted)
    assert dict(
        Client.objects.filter(pk__in=[c for c, _s in promoted]).values_list("pk", "status")
    ) == dict(promoted)
    assert all(d.next_review == dt.date(2026, 10, 31) for d in decisions)
    later = cycle_run(as_of=END)
    assert later.previous == earlier
    rows = Assessment.objects.filter(cycle=later)
    assert rows.exclude(previous_cell="").count() == 300
    # Accepted promotions are now the current status: kept, not proposed again.
    again = rows.filter(client_id__in=[c for c, _s in promoted], change="promote").count()
    assert again < len(promoted)
    with pytest.raises(ValidationError):  # an old cycle's proposals are history
        proposals_accept(cycle=earlier, client_ids=[promoted[0][0]], user=people["head"])


def test_model_versions_are_never_changed_once_used(company: Path, people) -> None:
    first = active_model()
    definition = dict(first.definition)
    definition["cells"] = {"potential": 70, "attractiveness": 70}
    same = model_save(
        definition=definition, name="Tuned", notes="higher bar", user=people["analyst"], base=first
    )
    assert same.pk == first.pk and same.version == 1  # unused: edited in place
    cycle_run(as_of=END)
    definition["cells"] = {"potential": 40, "attractiveness": 40}
    second = model_save(
        definition=definition,
        name="Lower bar",
        notes="wider net",
        user=people["analyst"],
        base=first,
    )
    first.refresh_from_db()
    assert second.version == 2 and first.definition["cells"]["potential"] == 70
    assert ScoringModel.objects.get(is_active=True) == first
    model_activate(model=second, user=people["analyst"])
    assert ScoringModel.objects.get(is_active=True) == second
    with pytest.raises(scoring.ModelError):
        model_save(
            definition={"potential": []}, name="x", notes="", user=people["analyst"], base=second
        )
    with pytest.raises(PermissionDenied):
        model_save(definition=definition, name="x", notes="", user=people["rep"], base=second)
    preview = model_preview(scoring.parse(second.definition))
    assert preview is not None and preview["clients"] == 300
    assert preview["promote"] + preview["demote"] + preview["keep"] == 300
    # A lower bar puts more clients in the strategic cell than the cycle's model did.
    cycle = AssessmentCycle.objects.get()
    assert (
        preview["cells"].get("strategic", 0)
        > Assessment.objects.filter(cycle=cycle, cell="strategic").count()
    )


def test_schedule_says_when_a_cycle_is_overdue(company: Path) -> None:
    assert cycle_due(dt.date(2026, 11, 1)).overdue  # never ran
    cycle_run(as_of=dt.date(2026, 7, 31))
    assert not cycle_due(dt.date(2026, 10, 31)).overdue
    due = cycle_due(dt.date(2026, 11, 5))
    assert due.overdue and due.due == dt.date(2026, 10, 31)


def test_collected_facts_feed_the_next_assessment(company: Path) -> None:
    client = Client.objects.filter(purchase_potential__isnull=True).first()
    assert client is not None
    before = cycle_run(as_of=dt.date(2026, 9, 30))
    was = Assessment.objects.get(cycle=before, client=client)
    client.purchase_potential = 50_000_000
    client.save()
    Contact.objects.create(client=client, name="Ivanov", is_decision_maker=True)
    after = cycle_run(as_of=END)
    now = Assessment.objects.get(cycle=after, client=client)
    assert now.purchase_potential == 50_000_000 and now.decision_makers == 1
    assert now.profile_completeness > was.profile_completeness
    assert now.potential > was.potential


def test_kam_assess_prints_its_figures(company: Path) -> None:
    out = io.StringIO()
    call_command("assess", "--as-of", END.isoformat(), "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["clients"] == 300 and figures["as_of"] == END.isoformat()
    assert set(figures["proposals"]) == {"promote", "demote", "keep"}
    assert figures["cycle"] == AssessmentCycle.objects.get().pk
    out = io.StringIO()
    call_command(
        "assess",
        "--backtest",
        "--as-of",
        "2025-10-31",
        "--horizon-months",
        "12",
        "--json",
        stdout=out,
    )
    backtest = json.loads(out.getvalue())
    for key in (
        "as_of",
        "horizon_months",
        "k",
        "model_next_revenue_share",
        "baseline_next_revenue_share",
        "potential_group_median_growth",
        "rest_median_growth",
    ):
        assert key in backtest
    assert 0 < backtest["k"] < 300
    assert 0 < backtest["baseline_next_revenue_share"] <= 1
    with pytest.raises(CommandError, match="not a date"):
        call_command("assess", "--as-of", "31.10.2026")
    with pytest.raises(CommandError, match="future"):
        call_command("assess", "--as-of", "2999-01-01")


def test_a_cycle_without_sales_still_assesses_everyone(db: None) -> None:
    Client.objects.create(code="A1", name="Alpha")
    Client.objects.create(code="B1", name="Beta", purchase_potential=1_000_000)
    cycle = cycle_run(as_of=END)
    assert cycle.clients == 2 and cycle.keep == 2
    assert set(Assessment.objects.values_list("proposed_status", flat=True)) == {"standard"}


@pytest.mark.django_db(transaction=True)
def test_a_failed_cycle_is_recorded_and_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    Client.objects.create(code="A1", name="Alpha")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("kam.assessment.services.bulk_insert", broken)
    with pytest.raises(RuntimeError):
        cycle_run(as_of=END)
    cycle = AssessmentCycle.objects.get()
    assert cycle.state == "failed" and not Assessment.objects.exists()
    assert "disk full" in AuditEntry.objects.get(action="assessment.cycle_failed").summary
    monkeypatch.undo()
    assert cycle_run(as_of=END).state == "done"
