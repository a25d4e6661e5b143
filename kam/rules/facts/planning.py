"""Development plans and their actions, judged as of the audit's date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.organization.choices import DepartmentKind
from kam.organization.selectors import department_head, director
from kam.rules.facts import Column, Fact, Scope, SubjectType, register
from kam.rules.facts.clients import MEETING_KINDS, responsible_on
from kam.rules.facts.common import clients, status_decisions, status_on

PLAN_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "plan_state": pl.String,
    "period_kind": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "owner_id": pl.Int64,
}


def _period_code(kind: str, start: dt.date) -> str:
    if kind == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def _plans_base(scope: Scope) -> pl.DataFrame:
    from kam.planning.models import DevelopmentPlan

    queryset = DevelopmentPlan.objects.filter(period_start__lte=scope.as_of)
    if scope.since is not None:
        queryset = queryset.filter(period_end__gte=scope.since)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = [
        (pk, f"{code} {_period_code(kind, start)}", client, state, kind, start, end, owner)
        for pk, code, client, state, kind, start, end, owner in queryset.values_list(
            "pk",
            "client__code",
            "client_id",
            "state",
            "period_kind",
            "period_start",
            "period_end",
            "owner_id",
        )
    ]
    return pl.DataFrame(rows, schema=PLAN_SCHEMA, orient="row")


def _plan_contents(plan_ids: Sequence[int], as_of: dt.date) -> pl.DataFrame:
    """Per plan: measurable targets, qualitative goals, the revenue target, the meetings and
    actions planned (not cancelled) and the planned actions past their due date."""
    from kam.planning.choices import MEASURED_TARGETS, ActionStatus, TargetKind
    from kam.planning.models import DevelopmentPlan

    live = ~Q(actions__status=ActionStatus.CANCELLED)
    rows = list(
        DevelopmentPlan.objects.filter(pk__in=list(plan_ids))
        .annotate(
            measurable=Count(
                "targets",
                filter=Q(targets__kind__in=MEASURED_TARGETS, targets__value__isnull=False),
                distinct=True,
            ),
            goals=Count("targets", filter=Q(targets__kind=TargetKind.QUALITATIVE), distinct=True),
        )
        .values_list("pk", "measurable", "goals")
    )
    actions = list(
        DevelopmentPlan.objects.filter(pk__in=list(plan_ids))
        .annotate(
            meetings=Count("actions", filter=live & Q(actions__kind__in=MEETING_KINDS)),
            planned=Count("actions", filter=live),
            late=Count(
                "actions",
                filter=Q(actions__status=ActionStatus.PLANNED, actions__due__lt=as_of),
            ),
        )
        .values_list("pk", "meetings", "planned", "late")
    )
    from kam.planning.models import PlanTarget

    revenue = list(
        PlanTarget.objects.filter(plan_id__in=list(plan_ids), kind=TargetKind.REVENUE).values_list(
            "plan_id", "value"
        )
    )
    targets = pl.DataFrame(
        rows,
        schema={
            "subject_id": pl.Int64,
            "measurable_targets": pl.Int64,
            "qualitative_goals": pl.Int64,
        },
        orient="row",
    )
    done = pl.DataFrame(
        actions,
        schema={
            "subject_id": pl.Int64,
            "client_meetings_planned": pl.Int64,
            "actions_planned": pl.Int64,
            "actions_overdue": pl.Int64,
        },
        orient="row",
    )
    money = pl.DataFrame(
        [(p, float(v) if v is not None else None) for p, v in revenue],
        schema={"subject_id": pl.Int64, "revenue_target": pl.Float64},
        orient="row",
    ).unique("subject_id")
    return targets.join(done, on="subject_id", how="left").join(money, on="subject_id", how="left")


def _derive_plan(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    as_of = scope.as_of
    ids = [i for i in rows["subject_id"].to_list() if i is not None]
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    head = department_head(DepartmentKind.KEY_ACCOUNTS) or director()
    on = rows.select("_row", "client_id").with_columns(pl.lit(as_of).alias("_on"))
    status = status_on(on, "_on", status_decisions(wanted), clients(wanted))
    responsible = responsible_on(wanted, as_of).select("client_id", "manager_id")
    zero = {
        "measurable_targets": 0,
        "qualitative_goals": 0,
        "client_meetings_planned": 0,
        "actions_planned": 0,
        "actions_overdue": 0,
    }
    return (
        rows.with_columns(client_status=status)
        .join(_plan_contents(ids, as_of), on="subject_id", how="left")
        .join(responsible, on="client_id", how="left")
        .with_columns(
            [pl.col(name).fill_null(value) for name, value in zero.items()]
            + [
                pl.col("period_start").alias("subject_date"),
                pl.col("plan_state").alias("plan_state"),
                pl.lit(head, dtype=pl.Int64).alias("department_head_id"),
                (pl.col("owner_id") == pl.col("manager_id"))
                .fill_null(False)
                .alias("owner_is_responsible"),
                (pl.lit(as_of) - pl.col("period_start")).dt.total_days().alias("days_into_period"),
                pl.when(pl.col("period_kind") == "quarter")
                .then(
                    pl.format(
                        "{}-Q{}",
                        pl.col("period_start").dt.year(),
                        pl.col("period_start").dt.quarter(),
                    )
                )
                .otherwise(pl.col("period_start").dt.strftime("%Y-%m"))
                .alias("period_plan"),
            ]
        )
    )


PLAN_FACTS = (
    Fact(
        "plan_state",
        "text",
        _("The plan's state: 'draft', 'submitted', 'approved' or 'closed'."),
        "'approved'",
    ),
    Fact("period_kind", "text", _("The plan's period: 'month' or 'quarter'."), "'month'"),
    Fact(
        "days_into_period",
        "integer",
        _("Days from the start of the plan's period to the date."),
        "5",
    ),
    Fact(
        "client_status",
        "text",
        _("The client's status on the date: 'key', 'potential_key' or 'standard'."),
        "'key'",
    ),
    Fact(
        "owner_is_responsible",
        "boolean",
        _("The plan's owner is the account's responsible manager."),
    ),
    Fact("measurable_targets", "integer", _("Targets with a number measured from the ledger.")),
    Fact("qualitative_goals", "integer", _("Qualitative goals.")),
    Fact("revenue_target", "number", _("The revenue target (empty: none).")),
    Fact(
        "client_meetings_planned",
        "integer",
        _("Meetings, business reviews and presentations planned with the client."),
    ),
    Fact("actions_planned", "integer", _("Actions of the plan (cancelled ones left out).")),
    Fact("actions_overdue", "integer", _("Planned actions past their due date.")),
)


def _plan_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("planning:detail", args=[subject_id]) if subject_id else ""


DEVELOPMENT_PLAN = register(
    SubjectType(
        code="development_plan",
        label=_("Development plan"),
        description=_("Every key account's plan of a period that has begun by the date."),
        facts=PLAN_FACTS,
        people=(
            Column("owner_id", _("the plan's owner")),
            Column("department_head_id", _("the head of the key-account department")),
        ),
        periods=(Column("period_plan", _("the plan's period")),),
        base=_plans_base,
        base_schema=PLAN_SCHEMA,
        derive=_derive_plan,
        link=_plan_link,
    )
)


# --- Plan actions --------------------------------------------------------------------------

ACTION_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "plan_id": pl.Int64,
    "plan_state": pl.String,
    "plan_period": pl.String,
    "owner_id": pl.Int64,
    "action_kind": pl.String,
    "action_status": pl.String,
    "due_date": pl.Date,
    "done_on": pl.Date,
    "outcome": pl.String,
    "responsible_id": pl.Int64,
}


def _actions_base(scope: Scope) -> pl.DataFrame:
    from kam.planning.models import PlanAction

    queryset = PlanAction.objects.filter(plan__period_start__lte=scope.as_of)
    if scope.since is not None:
        queryset = queryset.filter(due__gte=scope.since)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = []
    for values in queryset.values_list(
        "pk",
        "plan__client__code",
        "plan__client_id",
        "plan_id",
        "plan__state",
        "plan__period_kind",
        "plan__period_start",
        "plan__owner_id",
        "kind",
        "status",
        "due",
        "done_on",
        "outcome",
        "responsible_id",
    ):
        pk, code, client, plan, state, kind, start, owner, *rest = values
        period = _period_code(kind, start)
        rows.append((pk, f"{code} {period} #{pk}", client, plan, state, period, owner, *rest))
    return pl.DataFrame(rows, schema=ACTION_SCHEMA, orient="row")


def _derive_action(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    as_of = scope.as_of
    late = (pl.col("action_status") == "planned") & (pl.col("due_date") < as_of)
    return rows.with_columns(
        subject_date=pl.col("due_date"),
        period_plan=pl.col("plan_period"),
        period_month=pl.col("due_date").dt.strftime("%Y-%m"),
        days_overdue=pl.when(late)
        .then((pl.lit(as_of) - pl.col("due_date")).dt.total_days())
        .otherwise(0),
        has_outcome=pl.col("outcome").fill_null("").str.strip_chars() != "",
    )


ACTION_FACTS = (
    Fact(
        "action_kind",
        "text",
        _(
            "The action: 'meeting', 'call', 'presentation', 'proposal', 'qbr' (business "
            "review) or 'other'."
        ),
        "'meeting'",
    ),
    Fact("action_status", "text", _("'planned', 'done' or 'cancelled'."), "'planned'"),
    Fact("due_date", "date", _("When the action is due.")),
    Fact(
        "days_overdue",
        "integer",
        _("Days a planned action is past its due date (0 otherwise)."),
        "7",
    ),
    Fact("has_outcome", "boolean", _("The outcome is written.")),
    Fact("plan_state", "text", _("The state of the action's plan."), "'approved'"),
)


def _action_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    from kam.planning.models import PlanAction

    if subject_id is None:
        return ""
    plan = PlanAction.objects.filter(pk=subject_id).values_list("plan_id", flat=True).first()
    return reverse("planning:detail", args=[plan]) if plan else ""


PLAN_ACTION = register(
    SubjectType(
        code="plan_action",
        label=_("Plan action"),
        description=_("Every action of the development plans whose period has begun."),
        facts=ACTION_FACTS,
        people=(
            Column("responsible_id", _("the action's responsible")),
            Column("owner_id", _("the plan's owner")),
        ),
        periods=(
            Column("period_plan", _("the plan's period")),
            Column("period_month", _("the month the action is due")),
        ),
        base=_actions_base,
        base_schema=ACTION_SCHEMA,
        derive=_derive_action,
        link=_action_link,
    )
)
