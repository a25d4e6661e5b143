"""The company as a whole: one subject, for rules about the sales organisation's own rhythm
(the re-evaluation of every client on schedule)."""

from __future__ import annotations

import polars as pl
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.organization.choices import DepartmentKind
from kam.organization.selectors import department_head, director
from kam.rules.facts import Column, Fact, Scope, SubjectType, register

BASE_SCHEMA = {"subject_id": pl.Int64, "subject_key": pl.String}

FACTS = (
    Fact(
        "has_assessment_cycle",
        "boolean",
        _("At least one re-evaluation cycle has been run by the date."),
    ),
    Fact(
        "days_since_last_cycle",
        "integer",
        _("Days since the date of the last re-evaluation cycle (empty: none yet)."),
        "95",
    ),
    Fact(
        "reevaluation_every_months",
        "integer",
        _("How often a re-evaluation cycle is due, months (Assessment → schedule)."),
        "3",
    ),
    Fact(
        "reevaluation_overdue_days",
        "integer",
        _("Days past the date the next re-evaluation cycle was due (negative before it)."),
        "14",
    ),
)


def _base(scope: Scope) -> pl.DataFrame:
    if scope.ids is not None and 1 not in scope.ids:
        return pl.DataFrame(schema=BASE_SCHEMA)
    return pl.DataFrame([(1, "company")], schema=BASE_SCHEMA, orient="row")


def _derive(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    from kam.assessment.choices import CycleState
    from kam.assessment.models import AssessmentCycle
    from kam.assessment.services import schedule
    from kam.ledger.months import add_months

    as_of = scope.as_of
    every = schedule().every_months
    last = (
        AssessmentCycle.objects.filter(state=CycleState.DONE, as_of__lte=as_of)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    due = add_months(last, every) if last is not None else None
    head = department_head(DepartmentKind.KEY_ACCOUNTS) or director()
    return rows.with_columns(
        subject_date=pl.lit(as_of),
        client_id=pl.lit(None, dtype=pl.Int64),
        key_account_head_id=pl.lit(head, dtype=pl.Int64),
        director_id=pl.lit(director(), dtype=pl.Int64),
        period_due=pl.lit(f"due-{due:%Y-%m-%d}" if due else "no-cycle"),
        has_assessment_cycle=pl.lit(last is not None),
        days_since_last_cycle=pl.lit((as_of - last).days if last else None, dtype=pl.Int64),
        reevaluation_every_months=pl.lit(every),
        reevaluation_overdue_days=pl.lit((as_of - due).days if due else None, dtype=pl.Int64),
    )


def _link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("assessment:cycles")


COMPANY = register(
    SubjectType(
        code="company",
        label=_("Company"),
        description=_("The sales organisation as a whole (one subject)."),
        facts=FACTS,
        people=(
            Column("key_account_head_id", _("the head of the key-account department")),
            Column("director_id", _("the sales director")),
        ),
        periods=(Column("period_due", _("the missed due date")),),
        base=_base,
        base_schema=BASE_SCHEMA,
        derive=_derive,
        link=_link,
    )
)
