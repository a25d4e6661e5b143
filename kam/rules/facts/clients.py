"""Clients and key accounts, judged as of the audit's date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.assessment.frames import read_frames
from kam.clients.choices import ClientStatus
from kam.organization.choices import DepartmentKind
from kam.organization.selectors import department_head, director
from kam.rules.facts import Column, Fact, Scope, SubjectType, register
from kam.rules.facts.common import (
    clients,
    credit_decisions,
    credit_on,
    employees,
    ids_sql,
    ledger,
    local_date,
    money_on,
    revenue_12m,
    status_decisions,
    status_on,
)

#: Plan actions that put the manager in front of the client.
MEETING_KINDS = ("meeting", "qbr", "presentation")

BASE_SCHEMA = {"subject_id": pl.Int64, "subject_key": pl.String, "client_id": pl.Int64}


def _base(scope: Scope) -> pl.DataFrame:
    if scope.ids is None:
        # Every client: the frame the derivation reads anyway (cached).
        return clients().select(
            pl.col("client_id").alias("subject_id"),
            pl.col("client_code").alias("subject_key"),
            "client_id",
        )
    sql = f"""SELECT id AS subject_id, code AS subject_key, id AS client_id
              FROM clients_client WHERE 1 = 1{ids_sql("id", scope.ids)}"""
    return read_frames({"clients": (sql, [], BASE_SCHEMA)}, direct=True)["clients"]


def responsible_on(client_ids: Sequence[int] | None, on: dt.date) -> pl.DataFrame:
    """Who was responsible for each client on ``on``: the assignment covering the day, and the
    day the last one before it ended (``client_id``, ``manager_id``, ``manager_since``,
    ``last_end``). A client without any assignment history keeps its current responsible."""
    from kam.keyaccounts.models import Assignment

    queryset = Assignment.objects.filter(start__lte=on)
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = list(queryset.values_list("client_id", "manager_id", "start", "end"))
    frame = pl.DataFrame(
        rows,
        schema={"client_id": pl.Int64, "manager_id": pl.Int64, "start": pl.Date, "end": pl.Date},
        orient="row",
    )
    covering = frame.filter(pl.col("end").is_null() | (pl.col("end") > on))
    current = covering.group_by("client_id").agg(
        pl.col("manager_id").sort_by("start").last(), pl.col("start").max().alias("manager_since")
    )
    ended = (
        frame.filter(pl.col("end").is_not_null() & (pl.col("end") <= on))
        .group_by("client_id")
        .agg(pl.col("end").max().alias("last_end"))
    )
    history = frame.select("client_id").unique().with_columns(pl.lit(True).alias("_history"))
    now = clients(client_ids).select("client_id", "responsible_id")
    return (
        now.join(current, on="client_id", how="left")
        .join(ended, on="client_id", how="left")
        .join(history, on="client_id", how="left")
        .select(
            "client_id",
            pl.when(pl.col("_history").fill_null(False))
            .then(pl.col("manager_id"))
            .otherwise(pl.col("responsible_id"))
            .alias("manager_id"),
            "manager_since",
            "last_end",
        )
    )


def client_facts(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    """The facts clients and key accounts share, for rows with ``_row`` and ``client_id``."""
    as_of = scope.as_of
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    current = clients(wanted)
    on = rows.select("_row", "client_id").with_columns(pl.lit(as_of).alias("_on"))
    status = status_on(on, "_on", status_decisions(wanted), current)
    money = ledger(as_of, wanted)
    owed = money_on(on.select("_row", "client_id", "_on"), "_on", *money.values())
    credit = credit_on(on, "_on", credit_decisions(wanted))
    responsible = responsible_on(wanted, as_of)
    staff = employees().select(
        pl.col("employee_id").alias("manager_id"),
        pl.col("department_kind").alias("responsible_department"),
    )
    frames = {"revenue": revenue_12m(as_of, wanted)}
    # The last purchase: the latest sale (not a return) of the ledger up to the date.
    frames["purchase"] = (
        money["documents"]
        .filter(pl.col("amount") > 0)
        .group_by("client_id")
        .agg(pl.col("date").max().alias("last_purchase"))
    )
    return (
        rows.with_columns(client_status=status)
        .join(owed, on="_row", how="left")
        .join(credit, on="_row", how="left")
        .join(responsible, on="client_id", how="left")
        .join(staff, on="manager_id", how="left")
        .join(frames["revenue"], on="client_id", how="left")
        .join(frames["purchase"], on="client_id", how="left")
        .with_columns(
            responsible_id=pl.col("manager_id"),
            has_responsible=pl.col("manager_id").is_not_null(),
            responsible_department=pl.col("responsible_department").fill_null(""),
            revenue_12m=pl.col("revenue_12m").fill_null(0.0),
            days_since_last_purchase=(pl.lit(as_of) - pl.col("last_purchase")).dt.total_days(),
            unpaid=pl.col("unpaid").fill_null(0.0),
            max_overdue_days=pl.col("overdue_days").fill_null(0),
            has_valid_credit_decision=pl.col("valid_credit_decisions") > 0,
            credit_available=(pl.col("credit_limit") - pl.col("unpaid").fill_null(0.0)).round(2),
            period_month=pl.lit(f"{as_of:%Y-%m}"),
            subject_date=pl.lit(as_of),
        )
    )


# --- Clients -------------------------------------------------------------------------------


def _proposals(client_ids: Sequence[int] | None, as_of: dt.date) -> pl.DataFrame:
    """The latest finished cycle (as of the date) per client: its proposal, whether it waits
    for a decision, since when; and how long ago the client was last assessed."""
    from kam.assessment.choices import CycleState
    from kam.assessment.models import Assessment, AssessmentCycle

    cycles = {
        pk: (cycle_as_of, local_date(finished) or cycle_as_of)
        for pk, cycle_as_of, finished in AssessmentCycle.objects.filter(
            state=CycleState.DONE, as_of__lte=as_of
        ).values_list("pk", "as_of", "finished_at")
    }
    schema = {
        "client_id": pl.Int64,
        "cycle_id": pl.Int64,
        "change": pl.String,
        "review": pl.String,
        "proposed_status": pl.String,
    }
    queryset = Assessment.objects.filter(cycle_id__in=list(cycles))
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = list(
        queryset.values_list("client_id", "cycle_id", "change", "review", "proposed_status")
    )
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    dates = pl.DataFrame(
        [(pk, a, f) for pk, (a, f) in cycles.items()],
        schema={"cycle_id": pl.Int64, "cycle_as_of": pl.Date, "proposed_on": pl.Date},
        orient="row",
    )
    return (
        frame.join(dates, on="cycle_id", how="inner")
        .sort("cycle_as_of", "cycle_id")
        .group_by("client_id")
        .agg(pl.all().last())
        .with_columns(
            proposal_pending=pl.col("change").is_in(["promote", "demote"])
            & (pl.col("review") == "pending"),
            days_since_assessed=(pl.lit(as_of) - pl.col("cycle_as_of")).dt.total_days(),
        )
        .with_columns(
            proposal_age_days=pl.when(pl.col("proposal_pending"))
            .then((pl.lit(as_of) - pl.col("proposed_on")).dt.total_days().clip(0, None))
            .otherwise(0),
        )
    )


def _decision_makers(client_ids: Sequence[int] | None) -> pl.DataFrame:
    from kam.clients.models import Contact

    queryset = Contact.objects.filter(is_decision_maker=True)
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = list(queryset.values("client_id").annotate(n=Count("id")).values_list("client_id", "n"))
    return pl.DataFrame(
        rows, schema={"client_id": pl.Int64, "decision_makers_known": pl.Int64}, orient="row"
    )


def _derive_client(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    frame = client_facts(rows, scope)
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    decider = department_head(DepartmentKind.KEY_ACCOUNTS) or director()
    return (
        frame.join(_proposals(wanted, scope.as_of), on="client_id", how="left")
        .join(_decision_makers(wanted), on="client_id", how="left")
        .with_columns(
            decider_id=pl.lit(decider, dtype=pl.Int64),
            proposal_pending=pl.col("proposal_pending").fill_null(False),
            proposed_status=pl.col("proposed_status").fill_null(""),
            proposal_age_days=pl.col("proposal_age_days").fill_null(0),
            decision_makers_known=pl.col("decision_makers_known").fill_null(0),
            period_cycle=pl.when(pl.col("proposal_pending").fill_null(False))
            .then(pl.format("cycle-{}", pl.col("cycle_id")))
            .otherwise(pl.col("period_month")),
        )
    )


COMMON_FACTS = (
    Fact(
        "client_status",
        "text",
        _("The client's status on the date: 'key', 'potential_key' or 'standard'."),
        "'key'",
    ),
    Fact("has_responsible", "boolean", _("Someone is responsible for the client.")),
    Fact(
        "responsible_department",
        "text",
        _("The responsible employee's department ('key_accounts', 'sales' …; empty: nobody)."),
        "'key_accounts'",
    ),
    Fact("revenue_12m", "number", _("Revenue of the last 12 months (to the date's month).")),
    Fact(
        "days_since_last_purchase",
        "integer",
        _("Days since the client's last purchase (empty: never bought)."),
        "90",
    ),
    Fact("unpaid", "number", _("Unpaid receivables on the date.")),
    Fact(
        "max_overdue_days",
        "integer",
        _("Days overdue of the oldest unpaid invoice on the date."),
        "30",
    ),
    Fact(
        "has_valid_credit_decision",
        "boolean",
        _("A credit-committee decision for the client is valid on the date."),
    ),
    Fact(
        "credit_limit",
        "number",
        _("The highest credit limit valid on the date (empty without a decision)."),
    ),
    Fact(
        "credit_available",
        "number",
        _("The credit limit less the unpaid receivables (empty without a decision)."),
    ),
)

CLIENT_FACTS = (
    *COMMON_FACTS,
    Fact(
        "proposal_pending",
        "boolean",
        _("The latest re-evaluation proposes another status and nobody has decided yet."),
    ),
    Fact(
        "proposed_status",
        "text",
        _("The status the latest re-evaluation proposes."),
        "'key'",
    ),
    Fact(
        "proposal_age_days",
        "integer",
        _("Days the proposal has waited for a decision (0 when none waits)."),
        "30",
    ),
    Fact(
        "days_since_assessed",
        "integer",
        _("Days since the re-evaluation cycle that last assessed the client (empty: never)."),
        "120",
    ),
    Fact("decision_makers_known", "integer", _("Decision makers among the client's contacts.")),
)


def _client_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("clients:detail", args=[client_id]) if client_id else ""


CLIENT = register(
    SubjectType(
        code="client",
        label=_("Client"),
        description=_("Every client, as it stands on the audit's date."),
        facts=CLIENT_FACTS,
        people=(
            Column("responsible_id", _("the client's responsible employee")),
            Column("decider_id", _("the head of the key-account department (decides statuses)")),
        ),
        periods=(
            Column("period_month", _("the audit's month")),
            Column("period_cycle", _("the re-evaluation cycle of a pending proposal")),
        ),
        base=_base,
        base_schema=BASE_SCHEMA,
        derive=_derive_client,
        link=_client_link,
        reads=("ledger", "clients", "revenue_12m", "status_decisions", "credit_decisions"),
    )
)


# --- Key accounts --------------------------------------------------------------------------


def _key_base(scope: Scope) -> pl.DataFrame:
    """Clients whose status on the date is key."""
    rows = _base(scope)
    if rows.is_empty():
        return rows
    numbered = rows.with_row_index("_row").with_columns(pl.lit(scope.as_of).alias("_on"))
    wanted = rows["client_id"].to_list() if rows.height <= 1000 else None
    status = status_on(numbered, "_on", status_decisions(wanted), clients(wanted))
    return rows.filter(status == ClientStatus.KEY)


def _key_since(client_ids: Sequence[int] | None, as_of: dt.date) -> pl.DataFrame:
    """The day each client last became key (a decision to key from another status)."""
    decisions = status_decisions(client_ids).filter(
        (pl.col("status_after") == ClientStatus.KEY)
        & (pl.col("status_before") != ClientStatus.KEY)
        & (pl.col("decided_on") <= as_of)
    )
    return decisions.group_by("client_id").agg(pl.col("decided_on").max().alias("key_since"))


def _plans_on(client_ids: Sequence[int] | None, as_of: dt.date) -> pl.DataFrame:
    from kam.planning.models import DevelopmentPlan

    queryset = DevelopmentPlan.objects.filter(period_start__lte=as_of, period_end__gte=as_of)
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=list(client_ids))
    rows = list(queryset.values_list("client_id", "state"))
    return pl.DataFrame(
        rows, schema={"client_id": pl.Int64, "plan_state": pl.String}, orient="row"
    ).unique("client_id")


def _meetings(client_ids: Sequence[int] | None, as_of: dt.date) -> pl.DataFrame:
    """The last meeting with each client (a done meeting, business review or presentation)
    and the overdue planned actions of its plans."""
    from kam.planning.choices import ActionStatus
    from kam.planning.models import PlanAction

    actions = PlanAction.objects.all()
    if client_ids is not None:
        actions = actions.filter(plan__client_id__in=list(client_ids))
    met = list(
        actions.filter(status=ActionStatus.DONE, kind__in=MEETING_KINDS, done_on__lte=as_of)
        .values("plan__client_id")
        .annotate(last=Max("done_on"))
        .values_list("plan__client_id", "last")
    )
    late = list(
        actions.filter(status=ActionStatus.PLANNED, due__lt=as_of)
        .values("plan__client_id")
        .annotate(n=Count("id"))
        .values_list("plan__client_id", "n")
    )
    last = pl.DataFrame(met, schema={"client_id": pl.Int64, "last_meeting": pl.Date}, orient="row")
    overdue = pl.DataFrame(
        late, schema={"client_id": pl.Int64, "overdue_actions": pl.Int64}, orient="row"
    )
    return last.join(overdue, on="client_id", how="full", coalesce=True)


def _derive_key_account(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    from kam.planning.services import approve_by, current_period

    as_of = scope.as_of
    frame = client_facts(rows, scope)
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    period = current_period(as_of)
    head = department_head(DepartmentKind.KEY_ACCOUNTS) or director()
    since = pl.max_horizontal("key_since", "last_end")
    gap_start = pl.coalesce(since, pl.col("manager_since"), pl.lit(as_of))
    return (
        frame.join(_key_since(wanted, as_of), on="client_id", how="left")
        .join(_plans_on(wanted, as_of), on="client_id", how="left")
        .join(_meetings(wanted, as_of), on="client_id", how="left")
        .with_columns(
            department_head_id=pl.lit(head, dtype=pl.Int64),
            has_manager=pl.col("manager_id").is_not_null(),
            days_without_manager=pl.when(pl.col("manager_id").is_null())
            .then((pl.lit(as_of) - pl.coalesce(since, pl.lit(as_of))).dt.total_days())
            .otherwise(0),
            manager_in_key_account_department=pl.col("responsible_department")
            == DepartmentKind.KEY_ACCOUNTS,
            key_since_days=(pl.lit(as_of) - pl.col("key_since")).dt.total_days(),
            plan_state=pl.col("plan_state").fill_null("missing"),
            days_past_approve_by=pl.lit((as_of - approve_by(period)).days),
            period_plan=pl.lit(period.code),
            period_gap=pl.format("gap-{}", gap_start.dt.strftime("%Y-%m-%d")),
            days_since_meeting=(
                pl.lit(as_of)
                - pl.coalesce("last_meeting", "key_since", "manager_since", pl.lit(as_of))
            ).dt.total_days(),
            overdue_actions=pl.col("overdue_actions").fill_null(0),
        )
    )


KEY_ACCOUNT_FACTS = (
    *COMMON_FACTS,
    Fact("has_manager", "boolean", _("The key account has a responsible manager.")),
    Fact(
        "days_without_manager",
        "integer",
        _("Days the key account has been without a responsible manager (0 with one)."),
        "14",
    ),
    Fact(
        "manager_in_key_account_department",
        "boolean",
        _("The responsible manager works in the key-account department."),
    ),
    Fact(
        "key_since_days",
        "integer",
        _("Days since the client became a key account (empty: before kam)."),
    ),
    Fact(
        "plan_state",
        "text",
        _(
            "The development plan of the date's period: 'missing', 'draft', 'submitted', "
            "'approved' or 'closed'."
        ),
        "'approved'",
    ),
    Fact(
        "days_past_approve_by",
        "integer",
        _("Days since the period's approve-by day (Plans → Settings); negative before it."),
        "0",
    ),
    Fact(
        "days_since_meeting",
        "integer",
        _(
            "Days since the last meeting, business review or presentation done with the "
            "client (or since it became key, if none yet)."
        ),
        "30",
    ),
    Fact("overdue_actions", "integer", _("Planned actions of its plans past their due date.")),
)

KEY_ACCOUNT = register(
    SubjectType(
        code="key_account",
        label=_("Key account"),
        description=_("Every client that is a key account on the audit's date."),
        facts=KEY_ACCOUNT_FACTS,
        people=(
            Column("responsible_id", _("the responsible manager")),
            Column("department_head_id", _("the head of the key-account department")),
        ),
        periods=(
            Column("period_plan", _("the planning period")),
            Column("period_month", _("the audit's month")),
            Column("period_gap", _("the stretch without a manager")),
        ),
        base=_key_base,
        base_schema=BASE_SCHEMA,
        derive=_derive_key_account,
        link=_client_link,
        reads=("ledger", "clients", "revenue_12m", "status_decisions", "credit_decisions"),
    )
)
