"""Employees and assignments of responsibility (who keeps which client since when)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.clients.choices import ClientStatus
from kam.organization.choices import DepartmentKind
from kam.rules.facts import Column, Fact, Scope, SubjectType, register
from kam.rules.facts.clients import responsible_on
from kam.rules.facts.common import clients, employees, status_decisions, status_on

# --- Employees -----------------------------------------------------------------------------

EMPLOYEE_SCHEMA = {"subject_id": pl.Int64, "subject_key": pl.String}


def _employees_base(scope: Scope) -> pl.DataFrame:
    from kam.organization.models import Employee

    queryset = Employee.objects.all()
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    return pl.DataFrame(
        list(queryset.values_list("pk", "code")), schema=EMPLOYEE_SCHEMA, orient="row"
    )


def _kept(as_of: object, employee_ids: Sequence[int] | None) -> pl.DataFrame:
    """Per employee: the clients they are responsible for on the date, by status then."""
    responsible = responsible_on(None, as_of).filter(pl.col("manager_id").is_not_null())  # type: ignore[arg-type]
    if employee_ids is not None:
        responsible = responsible.filter(pl.col("manager_id").is_in(list(employee_ids)))
    if responsible.is_empty():
        return pl.DataFrame(
            schema={
                "subject_id": pl.Int64,
                "key_accounts_kept": pl.Int64,
                "potential_key_accounts_kept": pl.Int64,
                "standard_clients_kept": pl.Int64,
            }
        )
    numbered = responsible.with_row_index("_row").with_columns(pl.lit(as_of).alias("_on"))
    wanted = responsible["client_id"].to_list() if responsible.height <= 1000 else None
    status = status_on(numbered, "_on", status_decisions(wanted), clients(wanted))
    counted = numbered.with_columns(status.alias("status"))
    return counted.group_by(pl.col("manager_id").alias("subject_id")).agg(
        (pl.col("status") == ClientStatus.KEY).sum().cast(pl.Int64).alias("key_accounts_kept"),
        (pl.col("status") == ClientStatus.POTENTIAL_KEY)
        .sum()
        .cast(pl.Int64)
        .alias("potential_key_accounts_kept"),
        (pl.col("status") == ClientStatus.STANDARD)
        .sum()
        .cast(pl.Int64)
        .alias("standard_clients_kept"),
    )


def _acquisition_work(employee_ids: list[int] | None) -> pl.DataFrame:
    """Per employee: the open prospects they own and the open deals with prospects (the
    acquisition work the key-account department does not do)."""
    from django.db.models import Count, Q

    from kam.deals.choices import OPEN_PROSPECT, OPEN_STAGES
    from kam.organization.models import Employee

    queryset = Employee.objects.all()
    if employee_ids is not None:
        queryset = queryset.filter(pk__in=employee_ids)
    rows = list(
        queryset.annotate(
            open_prospects=Count(
                "prospects", filter=Q(prospects__status__in=OPEN_PROSPECT), distinct=True
            ),
            open_acquisition_deals=Count(
                "deals",
                filter=Q(
                    deals__stage__in=OPEN_STAGES,
                    deals__prospect__isnull=False,
                    deals__client__isnull=True,
                ),
                distinct=True,
            ),
        ).values_list("pk", "open_prospects", "open_acquisition_deals")
    )
    rows = [row for row in rows if row[1] or row[2]]
    return pl.DataFrame(
        rows,
        schema={
            "subject_id": pl.Int64,
            "prospects_owned": pl.Int64,
            "acquisition_deals_owned": pl.Int64,
        },
        orient="row",
    )


def _derive_employee(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    ids = rows["subject_id"].to_list() if rows.height <= 1000 else None
    staff = employees().select(
        pl.col("employee_id").alias("subject_id"),
        pl.col("department_kind").alias("department"),
        "department_head_id",
        pl.col("role").fill_null(""),
        "is_active",
    )
    return (
        rows.join(staff, on="subject_id", how="left")
        .join(_kept(scope.as_of, ids), on="subject_id", how="left")
        .join(_acquisition_work(ids), on="subject_id", how="left")
        .with_columns(
            subject_date=pl.lit(scope.as_of),
            client_id=pl.lit(None, dtype=pl.Int64),
            employee_id=pl.col("subject_id"),
            period_month=pl.lit(f"{scope.as_of:%Y-%m}"),
            in_key_account_department=pl.col("department") == DepartmentKind.KEY_ACCOUNTS,
            key_accounts_kept=pl.col("key_accounts_kept").fill_null(0),
            potential_key_accounts_kept=pl.col("potential_key_accounts_kept").fill_null(0),
            standard_clients_kept=pl.col("standard_clients_kept").fill_null(0),
            prospects_owned=pl.col("prospects_owned").fill_null(0),
            acquisition_deals_owned=pl.col("acquisition_deals_owned").fill_null(0),
        )
    )


EMPLOYEE_FACTS = (
    Fact(
        "department",
        "text",
        _(
            "The employee's department: 'key_accounts', 'acquisition', 'sales', "
            "'credit_committee' or 'management'."
        ),
        "'key_accounts'",
    ),
    Fact(
        "role",
        "text",
        _(
            "The employee's role: 'director', 'key_account_head', 'key_account_manager', "
            "'sales_rep', 'credit_committee_member', 'analyst', 'auditor' (empty: none)."
        ),
        "'key_account_manager'",
    ),
    Fact("is_active", "boolean", _("The employee is active.")),
    Fact(
        "in_key_account_department",
        "boolean",
        _("The employee works in the key-account department."),
    ),
    Fact("key_accounts_kept", "integer", _("Key accounts the employee is responsible for.")),
    Fact(
        "potential_key_accounts_kept",
        "integer",
        _("Potential key accounts the employee is responsible for."),
    ),
    Fact(
        "standard_clients_kept",
        "integer",
        _("Standard clients the employee is responsible for (acquisition and sales work)."),
    ),
    Fact("prospects_owned", "integer", _("Open prospects the employee owns.")),
    Fact(
        "acquisition_deals_owned",
        "integer",
        _("Open deals with prospects (not yet clients) the employee owns."),
    ),
)


def _employee_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("keyaccounts:board")


EMPLOYEE = register(
    SubjectType(
        code="employee",
        label=_("Employee"),
        description=_("Every employee of the sales organisation."),
        facts=EMPLOYEE_FACTS,
        people=(
            Column("employee_id", _("the employee")),
            Column("department_head_id", _("the head of the employee's department")),
        ),
        periods=(Column("period_month", _("the audit's month")),),
        base=_employees_base,
        base_schema=EMPLOYEE_SCHEMA,
        derive=_derive_employee,
        link=_employee_link,
    )
)


# --- Assignments ---------------------------------------------------------------------------

ASSIGNMENT_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "manager_id": pl.Int64,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "previous_manager_id": pl.Int64,
    "handover_notes": pl.String,
    "handover_cause": pl.String,
    "assigned_by_id": pl.Int64,
}


def _assignments_base(scope: Scope) -> pl.DataFrame:
    from kam.keyaccounts.models import Assignment

    queryset = Assignment.objects.filter(start__lte=scope.as_of)
    if scope.since is not None:
        queryset = queryset.filter(start__gte=scope.since)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = [
        (pk, f"{code} {start:%Y-%m-%d}", client, manager, start, end, previous, notes, cause, by)
        for (
            pk,
            code,
            client,
            manager,
            start,
            end,
            previous,
            notes,
            cause,
            by,
        ) in queryset.values_list(
            "pk",
            "client__code",
            "client_id",
            "manager_id",
            "start",
            "end",
            "handover__from_manager_id",
            "handover__notes",
            "handover__cause",
            "assigned_by__employee__id",
        )
    ]
    return pl.DataFrame(rows, schema=ASSIGNMENT_SCHEMA, orient="row")


def _derive_assignment(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    as_of = scope.as_of
    wanted = rows["client_id"].unique().to_list() if rows.height <= 1000 else None
    status = status_on(rows, "start_date", status_decisions(wanted), clients(wanted))
    staff = employees().select(
        pl.col("employee_id").alias("manager_id"),
        pl.col("department_kind").alias("manager_department"),
        "department_head_id",
        pl.col("is_active").alias("manager_is_active"),
    )
    end = pl.coalesce(pl.col("end_date"), pl.lit(as_of))
    previous = staff.select(
        pl.col("manager_id").alias("previous_manager_id"),
        (pl.col("manager_department") == DepartmentKind.KEY_ACCOUNTS).alias(
            "previous_manager_in_key_account_department"
        ),
    )
    return (
        rows.with_columns(client_status=status)
        .join(staff, on="manager_id", how="left")
        .join(previous, on="previous_manager_id", how="left")
        .with_columns(
            subject_date=pl.col("start_date"),
            period_month=pl.col("start_date").dt.strftime("%Y-%m"),
            manager_department=pl.col("manager_department").fill_null(""),
            manager_in_key_account_department=(
                pl.col("manager_department") == DepartmentKind.KEY_ACCOUNTS
            ).fill_null(False),
            manager_is_active=pl.col("manager_is_active").fill_null(False),
            has_previous_manager=pl.col("previous_manager_id").is_not_null(),
            previous_manager_in_key_account_department=pl.col(
                "previous_manager_in_key_account_department"
            ).fill_null(False),
            handover_notes_length=pl.col("handover_notes")
            .fill_null("")
            .str.strip_chars()
            .str.len_chars()
            .cast(pl.Int64),
            handover_cause=pl.col("handover_cause").fill_null(""),
            is_open=pl.col("end_date").is_null(),
            days_held=(end - pl.col("start_date")).dt.total_days(),
        )
    )


ASSIGNMENT_FACTS = (
    Fact(
        "client_status",
        "text",
        _("The client's status when the assignment began."),
        "'key'",
    ),
    Fact(
        "manager_department",
        "text",
        _("The department of the employee made responsible."),
        "'key_accounts'",
    ),
    Fact(
        "manager_in_key_account_department",
        "boolean",
        _("The employee made responsible works in the key-account department."),
    ),
    Fact("manager_is_active", "boolean", _("The employee made responsible is active.")),
    Fact(
        "has_previous_manager",
        "boolean",
        _("The client changed hands (someone was responsible before)."),
    ),
    Fact(
        "previous_manager_in_key_account_department",
        "boolean",
        _("The client comes from a manager of the key-account department."),
    ),
    Fact(
        "handover_notes_length",
        "integer",
        _("Length of the handover notes for the receiver, characters (0: none)."),
        "0",
    ),
    Fact(
        "handover_cause",
        "text",
        _(
            "Why the account changed hands: 'assignment', 'promotion', 'leaving', 'overload', "
            "'demotion', 'other' (empty: not a handover)."
        ),
        "'overload'",
    ),
    Fact("is_open", "boolean", _("The assignment is the current one.")),
    Fact("days_held", "integer", _("Days the employee has been (or was) responsible.")),
)


def _assignment_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("clients:detail", args=[client_id]) if client_id else ""


ASSIGNMENT = register(
    SubjectType(
        code="assignment",
        label=_("Assignment of responsibility"),
        description=_(
            "Every stretch of an employee's responsibility for a client, from a handover or "
            "an import."
        ),
        facts=ASSIGNMENT_FACTS,
        people=(
            Column("manager_id", _("the employee made responsible")),
            Column("assigned_by_id", _("who assigned it")),
            Column("department_head_id", _("the head of the responsible's department")),
        ),
        periods=(Column("period_month", _("the month the assignment began")),),
        base=_assignments_base,
        base_schema=ASSIGNMENT_SCHEMA,
        derive=_derive_assignment,
        link=_assignment_link,
    )
)
