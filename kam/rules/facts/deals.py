"""Deals and prospects: the deal subprocess's subjects (judged as of the audit's date, a deal as
its stage leaves it) and the acquisition's."""

from __future__ import annotations

import polars as pl
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.rules.facts import Column, Fact, Scope, SubjectType, register
from kam.rules.facts.common import (
    clients,
    credit_decisions,
    credit_on,
    employees,
    ledger,
    money_on,
    status_decisions,
    status_on,
)

DEAL_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "deal_stage": pl.String,
    "payment_terms_days": pl.Int64,
    "amount": pl.Float64,
    "owner_id": pl.Int64,
    "for_prospect": pl.Boolean,
    "created_on": pl.Date,
}

DEAL_FACTS = (
    Fact(
        "deal_stage",
        "text",
        _(
            "The deal's stage (as the move being checked leaves it): 'qualification', "
            "'proposal', 'negotiation', 'contract', 'shipped', 'paid' or 'lost'."
        ),
        "'contract'",
    ),
    Fact("amount", "number", _("The deal's amount.")),
    Fact(
        "payment_terms_days",
        "integer",
        _("The deal's payment terms, days (more than 0: deferred payment)."),
        "45",
    ),
    Fact("is_deferred", "boolean", _("On deferred payment (terms above 0 days).")),
    Fact("for_prospect", "boolean", _("The deal is with a prospect, not yet a client.")),
    Fact(
        "client_status",
        "text",
        _("The client's status: 'key', 'potential_key' or 'standard' (empty for a prospect)."),
        "'standard'",
    ),
    Fact(
        "has_valid_credit_decision",
        "boolean",
        _("A credit-committee decision for the client is valid on the date."),
    ),
    Fact(
        "credit_max_terms_days",
        "integer",
        _("The longest payment terms the valid decisions allow, days (empty without one)."),
        "45",
    ),
    Fact(
        "credit_limit",
        "number",
        _("The highest credit limit of the valid decisions (empty without one)."),
    ),
    Fact("client_unpaid", "number", _("The client's unpaid receivables on the date.")),
    Fact(
        "exposure",
        "number",
        _(
            "The client's debt with this deal: unpaid receivables, the other deferred deals at "
            "the contract stage, and this deal."
        ),
    ),
    Fact(
        "client_overdue_days",
        "integer",
        _("Days overdue of the client's oldest unpaid invoice on the date."),
        "30",
    ),
    Fact(
        "owner_department",
        "text",
        _("The owner's department: 'key_accounts', 'acquisition', 'sales' …"),
        "'sales'",
    ),
    Fact(
        "owner_in_key_account_department",
        "boolean",
        _("The deal's owner works in the key-account department."),
    ),
)


def _deals_base(scope: Scope) -> pl.DataFrame:
    from kam.deals.models import Deal

    queryset = Deal.objects.filter(created_at__date__lte=scope.as_of)
    if scope.since is not None:
        queryset = queryset.filter(updated_at__date__gte=scope.since)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = [
        (
            pk,
            f"D-{pk:06d}",
            client,
            stage,
            terms,
            float(amount),
            owner,
            prospect is not None and client is None,
            created.date(),
        )
        for pk, client, prospect, stage, terms, amount, owner, created in queryset.values_list(
            "pk",
            "client_id",
            "prospect_id",
            "stage",
            "payment_terms_days",
            "amount",
            "owner_id",
            "created_at",
        )
    ]
    return pl.DataFrame(rows, schema=DEAL_SCHEMA, orient="row")


def _contract_deals(client_ids: list[int] | None) -> pl.DataFrame:
    """Deferred deals at the contract stage (goods promised on credit, not shipped yet)."""
    from kam.deals.choices import DealStage
    from kam.deals.models import Deal

    queryset = Deal.objects.filter(stage=DealStage.CONTRACT, payment_terms_days__gt=0)
    if client_ids is not None:
        queryset = queryset.filter(client_id__in=client_ids)
    rows = [
        (pk, client, float(amount))
        for pk, client, amount in queryset.values_list("pk", "client_id", "amount")
    ]
    return pl.DataFrame(
        rows,
        schema={"deal_id": pl.Int64, "client_id": pl.Int64, "deal_amount": pl.Float64},
        orient="row",
    )


def _derive_deal(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    as_of = scope.as_of
    known = [c for c in rows["client_id"].unique().to_list() if c is not None]
    wanted = known if rows.height <= 1000 else None
    on = rows.select("_row", "client_id", "subject_id").with_columns(pl.lit(as_of).alias("_on"))
    with_client = on.filter(pl.col("client_id").is_not_null())
    current = clients(wanted)
    status = with_client.select("_row").with_columns(
        status_on(with_client, "_on", status_decisions(wanted), current).alias("client_status")
    )
    credit = credit_on(with_client, "_on", credit_decisions(wanted))
    money = ledger(as_of, wanted)
    # The deal's own id is no document: nothing of the ledger is left out for it.
    owed = money_on(with_client.drop("subject_id"), "_on", money["documents"], money["payments"])
    others = _contract_deals(wanted)
    committed = (
        rows.select("_row", "client_id", "subject_id")
        .join(others, on="client_id", how="inner")
        .filter(pl.col("deal_id") != pl.col("subject_id"))
        .group_by("_row")
        .agg(pl.col("deal_amount").sum().alias("other_deals"))
    )
    staff = employees().select(
        pl.col("employee_id").alias("owner_id"),
        pl.col("department_kind").alias("owner_department"),
        "department_head_id",
    )
    return (
        rows.join(status, on="_row", how="left")
        .join(credit, on="_row", how="left")
        .join(owed, on="_row", how="left")
        .join(committed, on="_row", how="left")
        .join(staff, on="owner_id", how="left")
        .join(current.select("client_id", "responsible_id"), on="client_id", how="left")
        .with_columns(
            subject_date=pl.col("created_on"),
            period_stage=pl.col("deal_stage"),
            is_deferred=pl.col("payment_terms_days") > 0,
            client_status=pl.col("client_status").fill_null(""),
            has_valid_credit_decision=pl.col("valid_credit_decisions").fill_null(0) > 0,
            client_unpaid=pl.col("unpaid").fill_null(0.0),
            exposure=(
                pl.col("unpaid").fill_null(0.0)
                + pl.col("other_deals").fill_null(0.0)
                + pl.col("amount")
            ).round(2),
            client_overdue_days=pl.col("overdue_days").fill_null(0),
            owner_department=pl.col("owner_department").fill_null(""),
            owner_in_key_account_department=(
                pl.col("owner_department") == "key_accounts"
            ).fill_null(False),
        )
    )


def _deal_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("deals:detail", args=[subject_id]) if subject_id else ""


DEAL = register(
    SubjectType(
        code="deal",
        label=_("Deal"),
        description=_(
            "Every deal, as it stands on the date; at a guard, as the stage it is moved to "
            "leaves it."
        ),
        facts=DEAL_FACTS,
        people=(
            Column("owner_id", _("the deal's owner")),
            Column("responsible_id", _("the client's responsible employee")),
            Column("department_head_id", _("the head of the owner's department")),
        ),
        periods=(Column("period_stage", _("the deal's stage")),),
        base=_deals_base,
        base_schema=DEAL_SCHEMA,
        derive=_derive_deal,
        link=_deal_link,
    )
)


# --- Prospects -----------------------------------------------------------------------------

PROSPECT_SCHEMA = {
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "client_id": pl.Int64,
    "prospect_status": pl.String,
    "status_since": pl.Date,
    "owner_id": pl.Int64,
    "created_on": pl.Date,
}

PROSPECT_FACTS = (
    Fact(
        "prospect_status",
        "text",
        _("'new', 'contacted', 'qualified', 'converted' or 'lost'."),
        "'new'",
    ),
    Fact("days_in_status", "integer", _("Days the prospect has been in its status."), "7"),
    Fact(
        "owner_department",
        "text",
        _("The owner's department: 'acquisition', 'sales', 'key_accounts' …"),
        "'acquisition'",
    ),
    Fact(
        "owner_in_key_account_department",
        "boolean",
        _("The prospect's owner works in the key-account department."),
    ),
    Fact("open_deals", "integer", _("The prospect's deals still open.")),
)


def _prospects_base(scope: Scope) -> pl.DataFrame:
    from kam.deals.models import Prospect

    queryset = Prospect.objects.filter(created_at__date__lte=scope.as_of)
    if scope.ids is not None:
        queryset = queryset.filter(pk__in=list(scope.ids))
    rows = [
        (pk, f"P-{pk:06d} {name}"[:128], client, status, since.date(), owner, created.date())
        for pk, name, client, status, since, owner, created in queryset.values_list(
            "pk", "name", "client_id", "status", "status_since", "owner_id", "created_at"
        )
    ]
    return pl.DataFrame(rows, schema=PROSPECT_SCHEMA, orient="row")


def _derive_prospect(rows: pl.DataFrame, scope: Scope) -> pl.DataFrame:
    from django.db.models import Count, Q

    from kam.deals.choices import OPEN_STAGES
    from kam.deals.models import Prospect

    ids = rows["subject_id"].to_list()
    deals = pl.DataFrame(
        list(
            Prospect.objects.filter(pk__in=ids)
            .annotate(n=Count("deals", filter=Q(deals__stage__in=OPEN_STAGES)))
            .values_list("pk", "n")
        ),
        schema={"subject_id": pl.Int64, "open_deals": pl.Int64},
        orient="row",
    )
    staff = employees().select(
        pl.col("employee_id").alias("owner_id"),
        pl.col("department_kind").alias("owner_department"),
        "department_head_id",
    )
    return (
        rows.join(deals, on="subject_id", how="left")
        .join(staff, on="owner_id", how="left")
        .with_columns(
            subject_date=pl.col("created_on"),
            period_status=pl.format("{}-{}", pl.col("prospect_status"), pl.col("status_since")),
            days_in_status=(pl.lit(scope.as_of) - pl.col("status_since")).dt.total_days(),
            owner_department=pl.col("owner_department").fill_null(""),
            owner_in_key_account_department=(
                pl.col("owner_department") == "key_accounts"
            ).fill_null(False),
            open_deals=pl.col("open_deals").fill_null(0),
        )
    )


def _prospect_link(subject_id: int | None, subject_key: str, client_id: int | None) -> str:
    return reverse("deals:prospect", args=[subject_id]) if subject_id else ""


PROSPECT = register(
    SubjectType(
        code="prospect",
        label=_("Prospect"),
        description=_("Every prospect of the acquisition staff."),
        facts=PROSPECT_FACTS,
        people=(
            Column("owner_id", _("the prospect's owner")),
            Column("department_head_id", _("the head of the owner's department")),
        ),
        periods=(Column("period_status", _("the stretch in its status")),),
        base=_prospects_base,
        base_schema=PROSPECT_SCHEMA,
        derive=_derive_prospect,
        link=_prospect_link,
    )
)
