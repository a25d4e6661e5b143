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
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from kam.assessment.frames import reader_session
from kam.audit.services import audit_record
from kam.incidents.choices import ACTIVE_STATES, EventKind, IncidentKind, IncidentState
from kam.incidents.models import Incident, IncidentEvent
from kam.incidents.services import Breach, Handlers, incidents_escalate
from kam.organization.models import Employee
from kam.rules.choices import AuditTrigger, VersionState
from kam.rules.engine import evaluate, facts_json, row_facts
from kam.rules.facts import Scope, SubjectType, subject_type
from kam.rules.facts.common import facts_cache, prefetch
from kam.rules.models import AuditRun, Rule, RuleNotice, RuleVersion
from kam.web import access

AnyUser = access.AnyUser
BATCH = 2000
#: Rows taken out of a frame at a time when writing incidents and notices, and rows per
#: INSERT statement.
WRITE_BATCH = 20_000
ROWS_PER_INSERT = 500
#: What a value written into a statement may be (ids aside): a code, as choices have.
CODE = re.compile(r"^[A-Za-z0-9_]*$")
#: Text fields of an incident that are blank when the audit opens it.
BLANK_TEXTS = ("override_reason", "explanation", "decision", "dismissed_reason")
VIOLATION_SCHEMA = pl.Schema(
    {
        "rule_code": pl.String,
        "subject_type": pl.String,
        "subject_key": pl.String,
        "violator_id": pl.Int64,
    }
)


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


def breach_rows(
    subject: SubjectType, version: RuleVersion, frame: pl.DataFrame, broken: pl.Series
) -> pl.DataFrame:
    """The rows of ``frame`` that break ``version``, with their violator and period."""
    return frame.filter(broken).with_columns(
        violator_expr(subject, version), period_expr(subject, version)
    )


def breaches_of(
    subject: SubjectType, version: RuleVersion, frame: pl.DataFrame, broken: pl.Series
) -> list[Breach]:
    """The breaches as objects (a guard's few rows; the audit keeps them in a frame)."""
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
        for row in breach_rows(subject, version, frame, broken).iter_rows(named=True)
    ]


# --- Writing: what the ORM's bulk_create would write, without a model object per row --------
#
# An audit of a million documents finds a few hundred thousand breaches; building and saving
# a model instance for each took minutes. The rows are written from the frame instead, by
# one INSERT … ON CONFLICT DO NOTHING per batch (the slot's unique constraint keeps one, as
# ``ignore_conflicts`` did), with the values the models' fields would have given.


def _rows_per_statement(columns: int) -> int:
    """How many rows one INSERT carries: many (a statement per row makes SQLite spend half
    its time starting statements), within the database's limit on parameters."""
    limit = connection.features.max_query_params or 65535
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        # Django assumes the old default of 999; the library says what it allows.
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(ROWS_PER_INSERT, limit // columns))


def _literal(value: int | str) -> str:
    """A value every row shares, as SQL: an id or a code (never text a user typed)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not an id or a code: {value!r}")
    if isinstance(value, int):
        return str(int(value))
    if not CODE.match(value):
        raise ValueError(f"not a code: {value!r}")
    return f"'{value}'"


def _write(
    model: Any,
    rows: pl.DataFrame,
    *,
    shared: dict[str, int | str],
    json_fields: tuple[str, ...] = (),
) -> None:
    """Insert ``rows`` (columns named as the model's fields) into the model's table, with
    the ``shared`` fields' values written into the statement (fewer parameters to bind); a
    row whose slot is taken is skipped."""
    if rows.is_empty():
        return
    meta = model._meta
    quote = connection.ops.quote_name
    names = [*rows.columns, *shared]
    columns = ", ".join(quote(meta.get_field(name).column) for name in names)
    cast = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    row = (
        "("
        + ", ".join(
            [cast if name in json_fields else "%s" for name in rows.columns]
            + [_literal(value) for value in shared.values()]
        )
        + ")"
    )

    def insert(count: int) -> str:
        return (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
            f"{', '.join([row] * count)} ON CONFLICT DO NOTHING"
        )

    size = _rows_per_statement(rows.width)
    with connection.cursor() as cursor:
        for start in range(0, rows.height, WRITE_BATCH):
            batch = rows.slice(start, WRITE_BATCH).rows()
            whole = len(batch) - len(batch) % size
            if whole:
                cursor.executemany(
                    insert(size),
                    [
                        tuple(chain.from_iterable(batch[at : at + size]))
                        for at in range(0, whole, size)
                    ],
                )
            if whole < len(batch):
                cursor.execute(insert(len(batch) - whole), list(chain.from_iterable(batch[whole:])))


def _db_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Date columns as the database takes them: ISO text for SQLite (as Django stores them),
    date objects otherwise."""
    if connection.vendor != "sqlite":
        return frame
    return frame.with_columns(
        [pl.col(name).dt.strftime("%Y-%m-%d") for name, t in frame.schema.items() if t == pl.Date]
    )


def _slot_columns(subject: SubjectType, rows: pl.DataFrame) -> list[pl.Expr]:
    """The columns incidents and notices share, as ``new_incident`` fills them."""
    return [
        pl.col("subject_id"),
        pl.col("subject_key").cast(pl.String).str.slice(0, 128),
        pl.col("period").cast(pl.String).str.slice(0, 32),
        pl.col("subject_date"),
        pl.col("client_id"),
        pl.lit(facts_json(subject, rows)).alias("facts"),
    ]


def _people(rows: pl.DataFrame, handlers: Handlers, role: str) -> pl.DataFrame:
    """Per violator (-1: nobody): the department and the handler ``Handlers`` gives."""
    violators = rows["violator_id"].unique().to_list()
    return pl.DataFrame(
        {
            "_violator": [-1 if v is None else v for v in violators],
            "_department": [handlers.department_of(v) for v in violators],
            "_handler": [handlers.handler(role, v) for v in violators],
        },
        schema={"_violator": pl.Int64, "_department": pl.Int64, "_handler": pl.Int64},
    )


def _open_incidents(
    subject: SubjectType,
    version: RuleVersion,
    rows: pl.DataFrame,
    handlers: Handlers,
    run: AuditRun,
    today: dt.date,
) -> int:
    """Open an incident for each breach of ``rows`` (new slots) and its "opened" event;
    how many were opened."""
    if rows.is_empty():
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    people = _people(rows, handlers, version.handler_role)
    incidents = (
        rows.with_columns(pl.col("violator_id").fill_null(-1).alias("_violator"))
        .join(people, on="_violator", how="left", maintain_order="left")
        .select(
            *_slot_columns(subject, rows),
            pl.col("violator_id").alias("violator"),
            pl.col("_department").alias("department"),
            pl.col("_handler").alias("handler"),
            pl.lit(now).alias("opened_at"),
            pl.lit(today + dt.timedelta(days=version.response_days)).alias("deadline"),
        )
    )
    shared: dict[str, int | str] = {
        "rule": version.rule_id,
        "rule_version": version.pk,
        "kind": IncidentKind.VIOLATION.value,
        "subject_type": subject.code,
        "handler_role": version.handler_role,
        "severity": version.severity,
        "subprocess": version.subprocess,
        "state": IncidentState.OPEN.value,
        "audit_run": run.pk,
        **dict.fromkeys(BLANK_TEXTS, ""),
    }
    quote = connection.ops.quote_name
    events, incident = IncidentEvent._meta, Incident._meta
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({quote('id')}) FROM {quote(incident.db_table)}")
        before = cursor.fetchone()[0] or 0
    # A concurrent run may have taken a slot meanwhile: the constraint keeps one.
    _write(Incident, _db_dates(incidents), shared=shared, json_fields=("facts",))
    # The story of each incident this run opened starts with its "opened" event (the ids
    # after ``before`` are the ones just written: the run's earlier ones are not read again).
    data = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = f"""
        INSERT INTO {quote(events.db_table)}
            ({quote("incident_id")}, {quote("kind")}, {quote("state_before")},
             {quote("state")}, {quote("text")}, {quote("data")}, {quote("actor_label")},
             {quote("at")})
        SELECT i.{quote("id")}, %s, '', i.{quote("state")}, '', {data}, %s, %s
        FROM {quote(incident.db_table)} i
        WHERE i.{quote("id")} > %s AND i.{quote("audit_run_id")} = %s AND NOT EXISTS (
            SELECT 1 FROM {quote(events.db_table)} e
            WHERE e.{quote("incident_id")} = i.{quote("id")})"""
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                EventKind.OPENED.value,
                json.dumps({"audit_run": run.pk}),
                "audit",
                connection.ops.adapt_datetimefield_value(timezone.now()),
                before,
                run.pk,
            ],
        )
        return int(cursor.rowcount)


def _record_notices(
    subject: SubjectType, version: RuleVersion, rows: pl.DataFrame, run: AuditRun
) -> None:
    if rows.is_empty():
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    notices = rows.select(
        *_slot_columns(subject, rows),
        pl.col("violator_id").alias("employee"),
        pl.lit(now).alias("found_at"),
    )
    shared: dict[str, int | str] = {
        "rule": version.rule_id,
        "rule_version": version.pk,
        "subject_type": subject.code,
        "audit_run": run.pk,
    }
    _write(RuleNotice, _db_dates(notices), shared=shared, json_fields=("facts",))


SLOT_SCHEMA = pl.Schema(
    {
        "_key": pl.String,
        "_period": pl.String,
        "_slot": pl.Int64,
        "_state": pl.String,
        "_cleared": pl.Boolean,
    }
)


def _slots(model: Any, rule: Rule) -> pl.DataFrame:
    """What is recorded for the rule (SLOT_SCHEMA): subject key, period, id, state ("" for
    a notice) and whether the condition was noted as cleared; one row per key and period."""
    cleared = "condition_cleared_at" if model is Incident else "cleared_at"
    quote = connection.ops.quote_name
    state = quote("state") if model is Incident else "''"
    sql = f"""
        SELECT {quote("subject_key")}, {quote("period")}, {quote("id")}, {state},
               CASE WHEN {quote(cleared)} IS NULL THEN 0 ELSE 1 END
        FROM {quote(model._meta.db_table)} WHERE {quote("rule_id")} = %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [rule.pk])
        rows = cursor.fetchall()
    return (
        pl.DataFrame(rows, schema=list(SLOT_SCHEMA), orient="row")
        .cast(SLOT_SCHEMA)
        .unique(["_key", "_period"], keep="first", maintain_order=True)
    )


def _clear_and_recur(
    slots: pl.DataFrame,
    evaluated: pl.DataFrame,
    broken_keys: pl.DataFrame,
    now: dt.datetime,
) -> tuple[int, int]:
    """Note the open incidents whose subject was judged (is in the frame ``evaluated``) and
    no longer breaks the rule, and those whose breach came back."""
    changed = (
        slots.filter(pl.col("_state").is_in([str(s) for s in ACTIVE_STATES]))
        .join(
            broken_keys.select(pl.col("subject_key").alias("_key"), pl.lit(True).alias("_broken")),
            on="_key",
            how="left",
            maintain_order="left",
        )
        .with_columns(pl.col("_broken").fill_null(False))
        .filter(pl.col("_broken") == pl.col("_cleared"))
    )
    # Of those, the ones whose subject was judged this time (usually none are left to ask).
    judged = (
        changed.join(
            evaluated.select(pl.col("subject_key").cast(pl.String).alias("_key")),
            on="_key",
            how="semi",
        )
        if not changed.is_empty()
        else changed
    )
    cleared = judged.filter(~pl.col("_broken") & ~pl.col("_cleared"))["_slot"].to_list()
    recurred = judged.filter(pl.col("_broken") & pl.col("_cleared"))["_slot"].to_list()
    for pks, value, kind in (
        (cleared, now, EventKind.CLEARED),
        (recurred, None, EventKind.RECURRED),
    ):
        for start in range(0, len(pks), BATCH):
            chunk = pks[start : start + BATCH]
            Incident.objects.filter(pk__in=chunk).update(condition_cleared_at=value)
            states = dict(Incident.objects.filter(pk__in=chunk).values_list("pk", "state"))
            IncidentEvent.objects.bulk_create(
                [
                    IncidentEvent(
                        incident_id=pk,
                        kind=kind,
                        state=states[pk],
                        state_before=states[pk],
                        actor_label="audit",
                    )
                    for pk in chunk
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
    # One reader process for every frame of the audit, started at once, and the frames
    # about every client read meanwhile (a window of documents reads them only if it is big).
    with reader_session(start=True), facts_cache():
        if since is None:
            prefetch({name for code in by_type for name in subject_type(code).reads}, as_of)
        # The subject types that wait for none of those frames go first, meanwhile.
        for code in sorted(by_type, key=lambda code: bool(subject_type(code).reads)):
            type_versions = by_type[code]
            subject = subject_type(code)
            frame = subject.compute(Scope(as_of=as_of, since=since))
            figures["subjects"] += frame.height
            for version in type_versions:
                broken = evaluate(subject, frame, version.condition, version.parameters)
                found = breach_rows(subject, version, frame, broken).with_columns(
                    pl.col("subject_key").cast(pl.String), pl.col("period").cast(pl.String)
                )
                figures["by_rule"][version.rule.code] = found.height
                figures["violations"] += found.height
                violation_frames.append(
                    found.select(
                        pl.lit(version.rule.code).alias("rule_code"),
                        pl.lit(code).alias("subject_type"),
                        "subject_key",
                        pl.col("violator_id").cast(pl.Int64),
                    )
                )
                with transaction.atomic():
                    model = Incident if version.is_mandatory else RuleNotice
                    slots = _slots(model, version.rule)
                    # The slot is the truncated key and period, as written.
                    slot_keys = [
                        pl.col("subject_key").str.slice(0, 128).alias("_key"),
                        pl.col("period").str.slice(0, 32).alias("_period"),
                    ]
                    seen = found.with_columns(slot_keys).join(
                        slots, on=["_key", "_period"], how="left", maintain_order="left"
                    )
                    new = seen.filter(pl.col("_slot").is_null()).drop(list(SLOT_SCHEMA))
                    if version.is_mandatory:
                        recorded = seen.filter(pl.col("_slot").is_not_null())
                        active = recorded["_state"].is_in([str(s) for s in ACTIVE_STATES])
                        figures["already_open"] += int(active.sum())
                        figures["already_closed"] += recorded.height - int(active.sum())
                        figures["incidents_opened"] += _open_incidents(
                            subject, version, new, handlers, run, today
                        )
                        cleared, recurred = _clear_and_recur(
                            slots, frame, found.select("subject_key").unique(), now
                        )
                        figures["cleared"] += cleared
                        figures["recurred"] += recurred
                    else:
                        _record_notices(subject, version, new, run)
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
    violations = pl.concat(
        [
            pl.DataFrame(schema=VIOLATION_SCHEMA),
            *[f.cast(VIOLATION_SCHEMA) for f in violation_frames],
        ]
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
