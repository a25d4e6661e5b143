"""Writes of the assessment: scoring-model versions, re-evaluation cycles, status decisions."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.assessment import scoring
from kam.assessment.choices import CELL_WORK, Change, CycleState, FurtherWork, Review
from kam.assessment.frames import assessment_frames
from kam.assessment.metrics import METRIC_SCHEMA, Window, client_metrics
from kam.assessment.models import (
    Assessment,
    AssessmentCycle,
    AssessmentSchedule,
    DataCollection,
    ScoringModel,
    StatusDecision,
)
from kam.audit.services import audit_record
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.imports.staging import bulk_insert
from kam.ledger.months import add_months
from kam.web import access

AnyUser = AbstractBaseUser | AnonymousUser | None

# --- Scoring models ----------------------------------------------------------------------------


def active_model() -> ScoringModel:
    """The active model version; the first one comes from the file shipped with kam."""
    model = ScoringModel.objects.filter(is_active=True).first()
    if model is not None:
        return model
    with transaction.atomic():
        if ScoringModel.objects.exists():  # none active: the newest becomes active
            model = ScoringModel.objects.select_for_update().order_by("-version").first()
            assert model is not None
            model.is_active = True
            model.save(update_fields=["is_active"])
            return model
        definition = scoring.default_definition()
        model = ScoringModel.objects.create(
            version=1,
            name=str(definition.get("name") or "Standard model"),
            definition=definition,
            notes=_("Shipped with kam (%(file)s).") % {"file": scoring.DEFAULT_MODEL_FILE.name},
            is_active=True,
        )
        audit_record(actor=None, action="assessment.model_created", obj=model, summary=str(model))
    return model


@transaction.atomic
def model_save(
    *,
    definition: dict[str, Any],
    name: str,
    notes: str,
    user: AnyUser,
    base: ScoringModel | None = None,
    activate: bool = False,
) -> ScoringModel:
    """Save an edited definition: in place if ``base`` was never used by a cycle, else as a new
    version. ScoringModel definitions are checked first (scoring.ModelError)."""
    if not access.can_edit_models(user):  # type: ignore[arg-type]
        raise PermissionDenied(_("You may not change scoring models."))
    scoring.parse(definition)
    definition = {**definition, "name": name}
    if base is not None and not base.is_used:
        base = ScoringModel.objects.select_for_update().get(pk=base.pk)
        base.name, base.definition, base.notes = name, definition, notes
        base.save(update_fields=["name", "definition", "notes"])
        model, action = base, "assessment.model_updated"
    else:
        version = (ScoringModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1
        model = ScoringModel.objects.create(
            version=version,
            name=name,
            definition=definition,
            notes=notes,
            created_by=access.acting_user(user),
        )
        action = "assessment.model_created"
    audit_record(
        actor=user,
        action=action,
        obj=model,
        summary=f"{model}" + (f" (from v{base.version})" if base and base != model else ""),
        data={"notes": notes},
    )
    if activate:
        model_activate(model=model, user=user)
    return model


@transaction.atomic
def model_activate(*, model: ScoringModel, user: AnyUser) -> ScoringModel:
    if not access.can_edit_models(user):  # type: ignore[arg-type]
        raise PermissionDenied(_("You may not change scoring models."))
    ScoringModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])
        audit_record(actor=user, action="assessment.model_activated", obj=model, summary=str(model))
    return model


# --- Schedule ----------------------------------------------------------------------------------


def schedule() -> AssessmentSchedule:
    found = AssessmentSchedule.objects.first()
    return found if found is not None else AssessmentSchedule.objects.create()


@dataclass(frozen=True)
class CycleDue:
    last: AssessmentCycle | None
    due: dt.date | None  # None: no cycle yet, one is due now
    overdue: bool
    every_months: int


def cycle_due(today: dt.date | None = None) -> CycleDue:
    """When the next re-evaluation is due, and whether it is overdue."""
    today = today or timezone.localdate()
    every = schedule().every_months
    last = AssessmentCycle.objects.filter(state=CycleState.DONE).select_related("model").first()
    if last is None:
        return CycleDue(None, None, True, every)
    due = add_months(last.as_of, every)
    return CycleDue(last, due, today > due, every)


# --- Cycles ------------------------------------------------------------------------------------

#: Columns written to the assessment table, in the frame produced below.
_WRITTEN = [
    *METRIC_SCHEMA,
    "normalised",
    "potential",
    "attractiveness",
    "priority",
    "priority_rank",
    "cell",
    "current_status",
    "proposed_status",
    "change",
    "previous_cell",
    "previous_proposed_status",
    "review",
    "reviewed_by_id",
    "reviewed_at",
]


def assess(as_of: dt.date, definition: scoring.Definition) -> pl.DataFrame:
    """Metrics and scores of every client as of ``as_of`` (reads the database, writes nothing)."""
    window = Window.of(as_of)
    frames = assessment_frames(window)
    metrics = client_metrics(
        frames["clients"],
        frames["rollup"],
        frames["documents"],
        frames["payments"],
        frames["prior"],
        window,
    )
    return scoring.score(metrics, definition)


def _earlier(cycle: AssessmentCycle, columns: list[str]) -> pl.DataFrame:
    rows = Assessment.objects.filter(cycle=cycle).values_list("client_id", *columns)
    return pl.DataFrame(
        list(rows), schema=["client_id", *columns], orient="row", infer_schema_length=None
    )


def cycle_run(
    *, as_of: dt.date, user: AnyUser = None, model: ScoringModel | None = None
) -> AssessmentCycle:
    """Assess every client as of ``as_of`` and store the proposals.

    Re-running for the same date and model replaces the cycle's assessments (idempotent:
    the same data gives the same rows); reviews of proposals that did not change are kept.
    """
    if user is not None and not access.can_run_assessment(user):  # type: ignore[arg-type]
        raise PermissionDenied(_("You may not run re-evaluation cycles."))
    model = model or active_model()
    try:
        return _cycle_run(as_of=as_of, user=user, model=model)
    except Exception as exc:
        # Nothing of the cycle was written (one transaction); say so where people look —
        # unless a caller's transaction holds us (its failure is the caller's to report).
        if connection.in_atomic_block:
            raise
        with transaction.atomic():
            cycle, _created = AssessmentCycle.objects.get_or_create(
                as_of=as_of,
                model=model,
                defaults={
                    "period_end": Window.of(as_of).period_end,
                    "run_by": access.acting_user(user),
                    "state": CycleState.FAILED,
                    "finished_at": timezone.now(),
                },
            )
            audit_record(
                actor=user,
                action="assessment.cycle_failed",
                obj=cycle,
                summary=f"{as_of}: {type(exc).__name__}: {exc}"[:500],
            )
        raise


def _cycle_run(*, as_of: dt.date, user: AnyUser, model: ScoringModel) -> AssessmentCycle:
    started = time.perf_counter()
    definition = scoring.parse(model.definition)
    window = Window.of(as_of)
    scored = assess(as_of, definition)
    previous = (
        AssessmentCycle.objects.filter(state=CycleState.DONE, as_of__lt=as_of)
        .order_by("-as_of", "-id")
        .first()
    )
    if previous is not None:
        before = _earlier(previous, ["cell", "proposed_status"]).rename(
            {"cell": "previous_cell", "proposed_status": "previous_proposed_status"}
        )
        scored = scored.join(before.cast({"client_id": pl.Int64}), on="client_id", how="left")
    else:
        scored = scored.with_columns(
            pl.lit(None, pl.String).alias("previous_cell"),
            pl.lit(None, pl.String).alias("previous_proposed_status"),
        )
    with transaction.atomic():
        cycle, created = AssessmentCycle.objects.select_for_update().get_or_create(
            as_of=as_of,
            model=model,
            defaults={"period_end": window.period_end, "run_by": access.acting_user(user)},
        )
        reviews = pl.DataFrame(
            schema={
                "client_id": pl.Int64,
                "_proposed": pl.String,
                "review": pl.String,
                "reviewed_by_id": pl.Int64,
                "reviewed_at": pl.Datetime("us", "UTC"),
            }
        )
        if not created:
            kept = _earlier(cycle, ["proposed_status", "review", "reviewed_by_id", "reviewed_at"])
            if kept.height:
                reviews = kept.rename({"proposed_status": "_proposed"}).cast(reviews.schema)  # type: ignore[arg-type]
            # Set-wise: the ORM's delete would fetch every row to null the decisions' links.
            StatusDecision.objects.filter(assessment__cycle=cycle).update(assessment=None)
            cycle.assessments.all()._raw_delete(Assessment.objects.db)
        scored = scored.join(reviews, on="client_id", how="left")
        same = pl.col("_proposed") == pl.col("proposed_status")
        frame = scored.with_columns(
            pl.col("status").alias("current_status"),
            pl.when(pl.col("change") == Change.KEEP)
            .then(pl.lit(Review.NONE.value))
            .when(same & pl.col("review").is_not_null())
            .then(pl.col("review"))
            .otherwise(pl.lit(Review.PENDING.value))
            .alias("review"),
            pl.when(same).then(pl.col("reviewed_by_id")).alias("reviewed_by_id"),
            pl.when(same).then(pl.col("reviewed_at")).alias("reviewed_at"),
            pl.col("previous_cell", "previous_proposed_status").fill_null(""),
            pl.col("abc", "xyz").fill_null(""),
        ).select(
            pl.col("client_id"),
            pl.lit(cycle.pk, pl.Int64).alias("cycle_id"),
            *_WRITTEN,
        )
        if connection.vendor == "sqlite":
            frame = frame.with_columns(pl.col("reviewed_at").dt.strftime("%Y-%m-%d %H:%M:%S%.f"))
        bulk_insert(Assessment._meta.db_table, frame)
        counts = dict(frame.group_by("change").len().iter_rows())
        cycle.period_end = window.period_end
        cycle.state = CycleState.DONE
        cycle.clients = frame.height
        cycle.promote = counts.get(Change.PROMOTE, 0)
        cycle.demote = counts.get(Change.DEMOTE, 0)
        cycle.keep = counts.get(Change.KEEP, 0)
        cycle.previous = previous
        cycle.finished_at = timezone.now()
        cycle.seconds = round(time.perf_counter() - started, 3)
        if user is not None and not created:
            cycle.run_by = access.acting_user(user)
        cycle.save()
        audit_record(
            actor=user,
            action="assessment.cycle_run" if created else "assessment.cycle_rerun",
            obj=cycle,
            summary=_("Cycle as of %(date)s: %(n)s clients, %(p)s to promote, %(d)s to demote")
            % {"date": as_of, "n": cycle.clients, "p": cycle.promote, "d": cycle.demote},
            data={"model_version": model.version, "seconds": cycle.seconds},
        )
    return cycle


# --- Status decisions --------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionInput:
    client_id: int
    status: str
    further_work: str
    reason: str
    next_review: dt.date | None = None
    #: Who takes the account over with the decision (a key-account manager for a new key
    #: account, someone in sales for a demoted one); None: the rule of ``status_changed``.
    responsible_id: int | None = None
    confirm_over_limit: bool = False


def _check(item: DecisionInput) -> None:
    errors: dict[str, Any] = {}
    if item.status not in ClientStatus.values:
        errors["status"] = _("Unknown status %(value)r.") % {"value": item.status}
    if item.further_work not in FurtherWork.values:
        errors["further_work"] = _("Unknown further work %(value)r.") % {"value": item.further_work}
    if not item.reason.strip():
        errors["reason"] = _("Say why: the reason is kept with the decision.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def decisions_record(*, items: list[DecisionInput], user: AnyUser) -> list[StatusDecision]:
    """Record status decisions (one client, or many at once) and apply them.

    Each keeps the status before and after, the scores of the client's latest assessment and
    its model version; entering "potential key" opens a data collection, leaving it closes
    it; the client's pending proposal in its latest cycle is marked accepted (the decision
    agrees with it) or rejected. One audit row per decision.
    """
    if not access.can_decide_status(user):  # type: ignore[arg-type]
        raise PermissionDenied(
            _("Status decisions are taken by the key-account head or the director.")
        )
    if not items:
        return []
    for item in items:
        _check(item)
    ids = [item.client_id for item in items]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("One decision per client at a time."))
    clients = Client.objects.select_for_update().in_bulk(ids)
    missing = set(ids) - set(clients)
    if missing:
        raise ValidationError(_("No such client: %(ids)s") % {"ids": sorted(missing)})
    latest = _latest_assessments(ids)
    now = timezone.now()
    decisions = []
    for item in items:
        client = clients[item.client_id]
        assessment = latest.get(item.client_id)
        decisions.append(
            StatusDecision(
                client=client,
                status_before=client.status,
                status=item.status,
                further_work=item.further_work,
                reason=item.reason.strip(),
                next_review=item.next_review,
                decided_by=access.acting_user(user),
                assessment=assessment,
                model_version=assessment.cycle.model.version if assessment else None,
                potential=assessment.potential if assessment else None,
                attractiveness=assessment.attractiveness if assessment else None,
                cell=assessment.cell if assessment else "",
            )
        )
    decisions = StatusDecision.objects.bulk_create(decisions)
    by_status: dict[str, list[int]] = {}
    for item in items:
        by_status.setdefault(item.status, []).append(item.client_id)
    for status, client_ids in by_status.items():
        Client.objects.filter(pk__in=client_ids).update(status=status, updated_at=now)
    leaving = [
        d.client_id
        for d in decisions
        if d.status_before == ClientStatus.POTENTIAL_KEY and d.status != ClientStatus.POTENTIAL_KEY
    ]
    DataCollection.objects.filter(client_id__in=leaving, closed_at__isnull=True).update(
        closed_at=now
    )
    _responsibility_follows(items, decisions, clients, user)
    entering = [
        d
        for d in decisions
        if d.status == ClientStatus.POTENTIAL_KEY and d.status_before != ClientStatus.POTENTIAL_KEY
    ]
    already = set(
        DataCollection.objects.filter(
            client_id__in=[d.client_id for d in entering], closed_at__isnull=True
        ).values_list("client_id", flat=True)
    )
    DataCollection.objects.bulk_create(
        [
            DataCollection(client_id=d.client_id, opened_by=d)
            for d in entering
            if d.client_id not in already
        ]
    )
    decided = {item.client_id: item.status for item in items}
    for verdict in (Review.ACCEPTED, Review.REJECTED):
        agree = verdict == Review.ACCEPTED
        pks = [
            a.pk
            for client_id, a in latest.items()
            if a.review == Review.PENDING and (a.proposed_status == decided[client_id]) == agree
        ]
        Assessment.objects.filter(pk__in=pks).update(
            review=verdict, reviewed_by=access.acting_user(user), reviewed_at=now
        )
    for decision in decisions:
        client = clients[decision.client_id]
        audit_record(
            actor=user,
            action="client.status_decided",
            obj=client,
            summary=f"{client.code}: {decision.status_before} → {decision.status} "
            f"({decision.further_work})",
            data={
                "decision_id": decision.pk,
                "before": decision.status_before,
                "after": decision.status,
                "further_work": decision.further_work,
                "reason": decision.reason,
                "next_review": decision.next_review.isoformat() if decision.next_review else None,
                "assessment_id": decision.assessment_id,
            },
        )
    return decisions


def _responsibility_follows(
    items: list[DecisionInput],
    decisions: list[StatusDecision],
    clients: dict[int, Client],
    user: AnyUser,
) -> None:
    """Hand accounts over as the decisions require (see keyaccounts.services.status_changed)."""
    from kam.keyaccounts.services import status_changed
    from kam.organization.models import Employee

    named = Employee.objects.select_related("department").in_bulk(
        [item.responsible_id for item in items if item.responsible_id is not None]
    )
    for item, decision in zip(items, decisions, strict=True):
        if item.responsible_id is not None and item.responsible_id not in named:
            raise ValidationError({"responsible": _("No such employee.")})
        try:
            status_changed(
                client=clients[item.client_id],
                before=decision.status_before,
                after=decision.status,
                user=user,
                reason=item.reason,
                responsible=named.get(item.responsible_id) if item.responsible_id else None,
                confirm_over_limit=item.confirm_over_limit,
            )
        except ValidationError as error:
            if len(items) == 1:
                raise ValidationError(
                    {
                        "responsible" if key == "to_manager" else key: messages
                        for key, messages in error.error_dict.items()
                    }
                    if hasattr(error, "error_dict")
                    else error.messages
                ) from error
            raise ValidationError(
                _("%(client)s: %(error)s")
                % {"client": clients[item.client_id], "error": "; ".join(error.messages)}
            ) from error


def _latest_assessments(client_ids: list[int]) -> dict[int, Assessment]:
    """Each client's assessment in the latest finished cycle that assessed it."""
    cycle = AssessmentCycle.objects.filter(state=CycleState.DONE).first()
    if cycle is None:
        return {}
    rows = Assessment.objects.filter(cycle=cycle, client_id__in=client_ids).select_related(
        "cycle__model"
    )
    return {a.client_id: a for a in rows}


def _check_decidable(cycle: AssessmentCycle, user: AnyUser) -> None:
    if not access.can_decide_status(user):  # type: ignore[arg-type]
        raise PermissionDenied(
            _("Status decisions are taken by the key-account head or the director.")
        )
    if cycle != AssessmentCycle.objects.filter(state=CycleState.DONE).first():
        raise ValidationError(_("Only the latest cycle's proposals can be decided."))


def proposals_accept(
    *, cycle: AssessmentCycle, client_ids: list[int], user: AnyUser, note: str = ""
) -> list[StatusDecision]:
    """Accept pending proposals of ``cycle``: each becomes a decision with the cell's default
    further work and the next review one schedule period after the cycle."""
    _check_decidable(cycle, user)
    pending = Assessment.objects.filter(
        cycle=cycle, client_id__in=client_ids, review=Review.PENDING
    ).values_list("client_id", "proposed_status", "cell")
    next_review = add_months(cycle.as_of, schedule().every_months)
    reason = _("Accepted the proposal of re-evaluation cycle #%(id)s as of %(date)s.") % {
        "id": cycle.pk,
        "date": cycle.as_of.isoformat(),
    }
    if note.strip():
        reason = f"{reason} {note.strip()}"
    items = [
        DecisionInput(client_id, status, CELL_WORK[cell], reason, next_review)  # type: ignore[index]
        for client_id, status, cell in pending
    ]
    return decisions_record(items=items, user=user)


@transaction.atomic
def proposals_reject(
    *, cycle: AssessmentCycle, client_ids: list[int], user: AnyUser, note: str = ""
) -> int:
    """Reject pending proposals: the status stays; the rejection is kept on the proposal."""
    _check_decidable(cycle, user)
    queryset = Assessment.objects.filter(
        cycle=cycle, client_id__in=client_ids, review=Review.PENDING
    )
    rejected = list(queryset.values_list("client_id", flat=True))
    queryset.update(
        review=Review.REJECTED, reviewed_by=access.acting_user(user), reviewed_at=timezone.now()
    )
    if rejected:
        audit_record(
            actor=user,
            action="assessment.proposals_rejected",
            obj=cycle,
            summary=_("%(n)s proposal(s) of cycle #%(id)s rejected")
            % {"n": len(rejected), "id": cycle.pk},
            data={"client_ids": rejected, "note": note},
        )
    return len(rejected)
