"""Credit applications: the committee's own rhythm (an application decided in time)."""

from __future__ import annotations

import polars as pl
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.organization.choices import DepartmentKind
from kam.organization.selectors import department_head, director
from kam.rules.facts import Column, Fact, Scope, SubjectType, register

APPLICATION_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "application_state": pl.String,
    "filed_on": pl.Date,
    "decided_on": pl.Date,
    "applicant_id": pl.Int64,
    "requested_terms_days": pl.Int64,
    "requested_limit": pl.Float64,
    "approvals_needed": pl.Int64,
}

FACTS = (
    Fact(
        "application_state",
        "text",
        _("'pending' (awaiting votes), 'approved', 'rejected' or 'withdrawn'."),
        "'pending'",
    ),
    Fact(
        "days_pending",
        "integer",
        _("Days from filing to the decision (to the date while it waits)."),
        "5",
    ),
    Fact("requested_terms_days", "integer", _("The payment terms asked for, days.")),
    Fact("requested_limit", "number", _("The credit limit asked for.")),
    Fact("approvals_needed", "integer", _("Approving votes the policy needed when filed.")),
    Fact("votes_cast", "integer", _("Votes cast so far.")),
    Fact("approvals", "integer", _("Approving votes so far (with less included).")),
)


def _base(scope: Scope) -> pl.DataFrame:
    from django.utils import timezone

    from kam.credit.models import CreditApplication

    queryset = CreditApplication.objects.filter(created_at__date__lte=scope.as_of)
    if scope.since is not None:
        queryset = queryset.filter(created_at__date__gte=scope.since)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = [
        (
            pk,
            f"CA-{pk:06d}",
            client,
            state,
            timezone.localtime(created).date(),
            timezone.localtime(decided).date() if decided else None,
            applicant,
            terms,
            float(limit),
            needed,
        )
        for pk, client, state, created, decided, applicant, terms, limit, needed in (
            queryset.values_list(
                "pk",
                "client_id",
                "state",
                "created_at",
                "decided_at",
                "applicant_id",
                "requested_terms_days",
                "requested_limit",
                "approvals_needed",
            )
        )
    ]
    return pl.DataFrame(rows, schema=APPLICATION_SCHEMA, orient="row")


def _derive(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    from django.db.models import Count, Q

    from kam.credit.choices import APPROVING
    from kam.credit.models import CreditApplication

    ids = [i for i in rows["subject_id"].to_list() if i is not None]
    votes = pl.DataFrame(
        list(
            CreditApplication.objects.filter(pk__in=ids)
            .annotate(
                cast=Count("votes"),
                yes=Count("votes", filter=Q(votes__choice__in=APPROVING)),
            )
            .values_list("pk", "cast", "yes")
        ),
        schema={"subject_id": pl.Int64, "votes_cast": pl.Int64, "approvals": pl.Int64},
        orient="row",
    )
    chair = department_head(DepartmentKind.CREDIT_COMMITTEE) or director()
    until = pl.coalesce(pl.col("decided_on"), pl.lit(scope.as_of))
    return rows.join(votes, on="subject_id", how="left").with_columns(
        subject_date=pl.col("filed_on"),
        chair_id=pl.lit(chair, dtype=pl.Int64),
        period_application=pl.col("subject_key"),
        days_pending=(until - pl.col("filed_on")).dt.total_days(),
        votes_cast=pl.col("votes_cast").fill_null(0),
        approvals=pl.col("approvals").fill_null(0),
    )


def _link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("credit:application", args=[subject_id]) if subject_id else ""


CREDIT_APPLICATION = register(
    SubjectType(
        code="credit_application",
        label=_("Credit application"),
        description=_("Every application to the credit committee filed by the date."),
        facts=FACTS,
        people=(
            Column("chair_id", _("the committee's chair")),
            Column("applicant_id", _("the applicant")),
        ),
        periods=(Column("period_application", _("the application")),),
        base=_base,
        base_schema=APPLICATION_SCHEMA,
        derive=_derive,
        link=_link,
    )
)
