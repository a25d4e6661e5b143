"""The audit: every enabled rule over every subject in the data up to a date.

Each subject type's facts are computed once (the same derivation a guard uses), every rule of
that type is evaluated over the frame, and then:

- a breach of a mandatory rule opens an incident, one per rule, subject and period: the slot
  is unique in the database, so a re-run opens nothing new (an incident already open, decided
  or closed for the slot is counted, not repeated);
- a breach of a recommendation records a notice (likewise one per slot);
- an open incident whose subject no longer breaks the rule is noted as cleared (and noted
  again if the breach comes back);
- undecided incidents past their deadline escalate to the director.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from kam.audit.services import audit_record
from kam.incidents.choices import ACTIVE_STATES, EventKind, IncidentState
from kam.incidents.models import Incident, IncidentEvent
from kam.incidents.services import Breach, Handlers, incidents_escalate, new_incident
from kam.organization.models import Employee
from kam.rules.choices import AuditTrigger, VersionState
from kam.rules.engine import evaluate, row_facts
from kam.rules.facts import Scope, SubjectType, subject_type
from kam.rules.facts.common import facts_cache
from kam.rules.models import AuditRun, Rule, RuleNotice, RuleVersion
from kam.web import access

AnyUser = access.AnyUser
BATCH = 2000


@dataclass
class AuditResult:
    run: AuditRun
    figures: dict[str, Any]
    #: rule_code, subject_type, subject_key, violator_id: every breach found.
    violations: pl.DataFrame = field(default_factory=pl.DataFrame)


def violator_expr(subject: SubjectType, version: RuleVersion) -> pl.Expr:
    """The rule's violator column, falling back to the subject's other people in order."""
    names = [c.name for c in subject.people]
    chosen = version.violator if version.violator in names else names[0]
    return pl.coalesce([chosen, *[n for n in names if n != chosen]]).alias("violator_id")


def period_expr(subject: SubjectType, version: RuleVersion) -> pl.Expr:
    names = [c.name for c in subject.periods]
    chosen = version.period if version.period in names else names[0]
    return pl.col(chosen).alias("period")


def breaches_of(
    subject: SubjectType, version: RuleVersion, frame: pl.DataFrame, broken: pl.Series
) -> list[Breach]:
    rows = frame.filter(broken).with_columns(
        violator_expr(subject, version), period_expr(subject, version)
    )
    return [
        Breach(
            version=version,
            subject_type=subject.code,
            subject_id=row["subject_id"],
            subject_key=str(row["subject_key"]),
            period=str(row["period"]),
            subject_date=row["subject_date"],
            client_id=row["client_id"],
            violator_id=row["violator_id"],
            facts=row_facts(subject, row),
        )
        for row in rows.iter_rows(named=True)
    ]


def _slots(model: Any, rule: Rule) -> dict[tuple[str, str], tuple[int, str, Any]]:
    """(subject_key, period) → (id, state, cleared_at) of what is recorded for the rule."""
    fields = ["subject_key", "period", "pk"]
    if model is Incident:
        fields += ["state", "condition_cleared_at"]
        return {
            (key, period): (pk, state, cleared)
            for key, period, pk, state, cleared in model.objects.filter(rule=rule).values_list(
                *fields
            )
        }
    return {
        (key, period): (pk, "", cleared)
        for key, period, pk, cleared in model.objects.filter(rule=rule).values_list(
            *fields, "cleared_at"
        )
    }


def _open_incidents(
    breaches: list[Breach], handlers: Handlers, run: AuditRun, today: dt.date
) -> int:
    created = 0
    for start in range(0, len(breaches), BATCH):
        chunk = [new_incident(b, handlers, today=today) for b in breaches[start : start + BATCH]]
        for incident in chunk:
            incident.audit_run = run
        # A concurrent run may have taken a slot meanwhile: the constraint keeps one.
        Incident.objects.bulk_create(chunk, ignore_conflicts=True)
    new = list(
        Incident.objects.filter(audit_run=run, events__isnull=True).values_list("pk", "state")
    )
    events = [
        IncidentEvent(
            incident_id=pk,
            kind=EventKind.OPENED,
            state=state,
            actor_label="audit",
            data={"audit_run": run.pk},
        )
        for pk, state in new
    ]
    IncidentEvent.objects.bulk_create(events, batch_size=BATCH)
    created += len(new)
    return created


def _record_notices(breaches: list[Breach], run: AuditRun) -> None:
    for start in range(0, len(breaches), BATCH):
        RuleNotice.objects.bulk_create(
            [
                RuleNotice(
                    rule_id=b.version.rule_id,
                    rule_version=b.version,
                    subject_type=b.subject_type,
                    subject_id=b.subject_id,
                    subject_key=b.subject_key[:128],
                    period=b.period[:32],
                    subject_date=b.subject_date,
                    client_id=b.client_id,
                    employee_id=b.violator_id,
                    facts=b.facts,
                    audit_run=run,
                )
                for b in breaches[start : start + BATCH]
            ],
            ignore_conflicts=True,
        )


def _clear_and_recur(
    rule: Rule,
    slots: dict[tuple[str, str], tuple[int, str, Any]],
    evaluated_keys: set[str],
    broken_keys: set[str],
    now: dt.datetime,
) -> tuple[int, int]:
    """Note the open incidents whose subject was judged and no longer breaks the rule, and
    those whose breach came back."""
    cleared, recurred = [], []
    for (key, _period), (pk, state, cleared_at) in slots.items():
        if state not in ACTIVE_STATES or key not in evaluated_keys:
            continue
        if key not in broken_keys and cleared_at is None:
            cleared.append(pk)
        elif key in broken_keys and cleared_at is not None:
            recurred.append(pk)
    for pks, value, kind in (
        (cleared, now, EventKind.CLEARED),
        (recurred, None, EventKind.RECURRED),
    ):
        if not pks:
            continue
        Incident.objects.filter(pk__in=pks).update(condition_cleared_at=value)
        states = dict(Incident.objects.filter(pk__in=pks).values_list("pk", "state"))
        IncidentEvent.objects.bulk_create(
            [
                IncidentEvent(
                    incident_id=pk,
                    kind=kind,
                    state=states[pk],
                    state_before=states[pk],
                    actor_label="audit",
                )
                for pk in pks
            ],
            batch_size=BATCH,
        )
    return len(cleared), len(recurred)


def enabled_versions(rule_code: str | None = None, subject: str | None = None) -> list[RuleVersion]:
    """The enabled version of every rule (of one rule, of one subject type)."""
    queryset = RuleVersion.objects.filter(state=VersionState.ENABLED).select_related(
        "rule", "default_sanction"
    )
    if rule_code:
        queryset = queryset.filter(rule__code=rule_code)
    if subject:
        queryset = queryset.filter(rule__subject_type=subject)
    return list(queryset.order_by("rule__code"))


def audit_run(
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    rule_code: str | None = None,
    user: AnyUser | None = None,
    trigger: str = AuditTrigger.COMMAND,
) -> AuditResult:
    """Run the audit and return its figures (see the module's docstring)."""
    started = time.perf_counter()
    today = timezone.localdate()
    as_of = as_of or today
    rule = Rule.objects.filter(code=rule_code).first() if rule_code else None
    if rule_code and rule is None:
        raise ValueError(f"no rule with the code {rule_code!r}")
    versions = enabled_versions(rule_code)
    run = AuditRun.objects.create(
        as_of=as_of, since=since, rule=rule, trigger=trigger, run_by=access.acting_user(user)
    )
    by_type: dict[str, list[RuleVersion]] = defaultdict(list)
    for version in versions:
        by_type[version.rule.subject_type].append(version)
    figures: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "since": since.isoformat() if since else None,
        "rules": len(versions),
        "subjects": 0,
        "violations": 0,
        "incidents_opened": 0,
        "already_open": 0,
        "already_closed": 0,
        "notices": 0,
        "cleared": 0,
        "recurred": 0,
        "escalated": 0,
        "by_rule": {},
    }
    violation_frames: list[pl.DataFrame] = []
    handlers = Handlers()
    now = timezone.now()
    with facts_cache():
        for code, type_versions in by_type.items():
            subject = subject_type(code)
            frame = subject.compute(Scope(as_of=as_of, since=since))
            figures["subjects"] += frame.height
            evaluated_keys = set(frame["subject_key"].to_list())
            for version in type_versions:
                broken = evaluate(subject, frame, version.condition, version.parameters)
                found = breaches_of(subject, version, frame, broken)
                figures["by_rule"][version.rule.code] = len(found)
                figures["violations"] += len(found)
                violation_frames.append(
                    pl.DataFrame(
                        {
                            "rule_code": [version.rule.code] * len(found),
                            "subject_type": [code] * len(found),
                            "subject_key": [b.subject_key for b in found],
                            "violator_id": [b.violator_id for b in found],
                        },
                        schema={
                            "rule_code": pl.String,
                            "subject_type": pl.String,
                            "subject_key": pl.String,
                            "violator_id": pl.Int64,
                        },
                    )
                )
                with transaction.atomic():
                    model = Incident if version.is_mandatory else RuleNotice
                    slots = _slots(model, version.rule)
                    new = [b for b in found if (b.subject_key, b.period) not in slots]
                    for b in found:
                        slot = slots.get((b.subject_key, b.period))
                        if slot is not None and version.is_mandatory:
                            active = slot[1] in ACTIVE_STATES
                            figures["already_open" if active else "already_closed"] += 1
                    if version.is_mandatory:
                        figures["incidents_opened"] += _open_incidents(new, handlers, run, today)
                        cleared, recurred = _clear_and_recur(
                            version.rule,
                            slots,
                            evaluated_keys,
                            {b.subject_key for b in found},
                            now,
                        )
                        figures["cleared"] += cleared
                        figures["recurred"] += recurred
                    else:
                        _record_notices(new, run)
                        figures["notices"] += RuleNotice.objects.filter(
                            audit_run=run, rule=version.rule
                        ).count()
    figures["escalated"] = incidents_escalate(today=today, user=user)
    figures["seconds"] = round(time.perf_counter() - started, 3)
    run.figures = figures
    run.finished_at = timezone.now()
    run.save(update_fields=["figures", "finished_at"])
    audit_record(
        actor=user,
        action="rules.audit_run",
        obj=run,
        summary=(
            f"{figures['violations']} violation(s), {figures['incidents_opened']} incident(s) "
            f"opened, {figures['notices']} notice(s)"
        ),
        data={k: v for k, v in figures.items() if k != "by_rule"},
    )
    violations = (
        pl.concat(violation_frames)
        if violation_frames
        else pl.DataFrame(
            schema={
                "rule_code": pl.String,
                "subject_type": pl.String,
                "subject_key": pl.String,
                "violator_id": pl.Int64,
            }
        )
    )
    return AuditResult(run=run, figures=figures, violations=violations)


def violator_codes(violations: pl.DataFrame) -> pl.DataFrame:
    """The violations with the violator's employee code instead of the id."""
    codes = pl.DataFrame(
        list(Employee.objects.values_list("pk", "code")),
        schema={"violator_id": pl.Int64, "violator_code": pl.String},
        orient="row",
    )
    return violations.join(codes, on="violator_id", how="left").select(
        "rule_code", "subject_type", "subject_key", pl.col("violator_code").fill_null("")
    )


__all__ = ["AuditResult", "IncidentState", "audit_run", "enabled_versions", "violator_codes"]
