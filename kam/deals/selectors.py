"""Reads of the pipeline and prospects pages (and the client card's deals panel): the deals and
prospects with what every list shows in one query, the board's columns, a deal's card.

The scope (who sees what) is always kam.web.access's; the selectors only shape the reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from kam.clients.models import Client
from kam.deals.choices import (
    COMMITTED_STAGES,
    FINAL_STAGES,
    OPEN_STAGES,
    PIPELINE,
    PROSPECT_NEXT,
    DealStage,
    ProspectStatus,
)
from kam.deals.models import Deal, DealStageChange, Prospect, ProspectEvent
from kam.deals.services import pipeline_totals
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.web import access

AnyUser = access.AnyUser

#: Cards a board column shows (its head counts them all; the table lists every one).
BOARD_CARDS = 40

#: The departments whose staff own deals and prospects (the owner drop-downs list them, with
#: the director).
SELLING_DEPARTMENTS = (
    DepartmentKind.KEY_ACCOUNTS,
    DepartmentKind.ACQUISITION,
    DepartmentKind.SALES,
)


def deals_base() -> QuerySet[Deal]:
    """Deals with what every list shows (counterparty, owner and the owner's department, which
    access.can_edit_deal reads), in one query."""
    return Deal.objects.select_related("client", "prospect", "owner__department")


def deals_visible(user: AnyUser) -> QuerySet[Deal]:
    return access.deal_scope(user, deals_base())


def stage_rank() -> Case:
    """The pipeline's order as a number (lost last): sorting by stage sorts by it."""
    order = [*PIPELINE, DealStage.LOST]
    return Case(
        *[When(stage=stage, then=Value(rank)) for rank, stage in enumerate(order)],
        output_field=IntegerField(),
    )


def with_counterparty_name(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    """Alias ``counterparty_name``: the client's name, or the prospect's before conversion."""
    return queryset.alias(counterparty_name=Lower(Coalesce("client__name", "prospect__name")))


def deal_search(queryset: QuerySet[Deal], text: str) -> QuerySet[Deal]:
    """Deals whose number, title, client (name or code) or prospect matches ``text``, in any
    letter case (Russian too, on SQLite: see kam.clients.search)."""
    text = text.strip()
    if not text:
        return queryset
    folded = text.lower()
    query = (
        Q(_title_lc__contains=folded)
        | Q(_client_lc__contains=folded)
        | Q(_prospect_lc__contains=folded)
        | Q(client__code__iexact=text)
    )
    digits = text.upper().removeprefix("D-").lstrip("0")
    if digits.isdigit():
        query |= Q(pk=int(digits))
    return queryset.alias(
        _title_lc=Lower("title"),
        _client_lc=Lower("client__name"),
        _prospect_lc=Lower("prospect__name"),
    ).filter(query)


# --- The board ---------------------------------------------------------------------------------


@dataclass
class Column:
    stage: str
    label: str
    count: int
    amount: Decimal
    deals: list[Deal]

    @property
    def more(self) -> int:
        return max(self.count - len(self.deals), 0)


def board(deals: QuerySet[Deal]) -> tuple[list[Column], dict[str, Any]]:
    """A column per pipeline stage headed by its count and amount, with its first cards
    (open stages: the soonest to close first; paid: the latest paid first), and the lost deals'
    count and amount. A fixed number of queries, whatever the number of deals."""
    totals = pipeline_totals(deals.order_by())
    columns = []
    for stage in PIPELINE:
        ordering = ["-stage_since", "-id"] if stage == DealStage.PAID else ["expected_close", "id"]
        cards = list(deals.filter(stage=stage).order_by(*ordering)[:BOARD_CARDS])
        columns.append(
            Column(
                stage=stage,
                label=str(DealStage(stage).label),
                count=totals[stage]["n"],
                amount=totals[stage]["amount"],
                deals=cards,
            )
        )
    open_totals = {
        "n": sum(totals[s]["n"] for s in OPEN_STAGES),
        "amount": sum((totals[s]["amount"] for s in OPEN_STAGES), Decimal(0)),
    }
    return columns, {"open": open_totals, "lost": totals[DealStage.LOST]}


#: The stages before the contract: a deal there past its expected close is late (the expected
#: close is the contract's signing).
BEFORE_CONTRACT = PIPELINE[: PIPELINE.index(DealStage.CONTRACT)]
LATE_STAGES = [str(s) for s in BEFORE_CONTRACT]


def is_late(deal: Deal, today: dt.date | None = None) -> bool:
    """A deal not at the contract yet, past its expected close."""
    today = today or timezone.localdate()
    return deal.stage in BEFORE_CONTRACT and deal.expected_close < today


# --- One deal ------------------------------------------------------------------------------------


def deal_history(deal: Deal) -> list[DealStageChange]:
    return list(deal.stage_changes.select_related("actor__employee").order_by("at", "id"))


@dataclass
class Moves:
    """Where the deal may go from its stage: the next stage, later ones (stages may be skipped:
    a repeat order goes straight to the contract), the previous one, or lost."""

    next: DealStage | None = None
    later: list[DealStage] = field(default_factory=list)
    back: DealStage | None = None
    lose: bool = False
    needs_client: list[DealStage] = field(default_factory=list)


def deal_moves(deal: Deal) -> Moves:
    if deal.stage in FINAL_STAGES:
        return Moves()
    position = PIPELINE.index(DealStage(deal.stage))
    forward = list(PIPELINE[position + 1 :])
    # Before conversion a prospect's deal stops before the contract (the service says so too).
    needs_client: list[DealStage] = []
    if deal.client_id is None:
        needs_client = [s for s in forward if s in (*COMMITTED_STAGES, DealStage.PAID)]
        forward = [s for s in forward if s not in needs_client]
    return Moves(
        next=forward[0] if forward else None,
        # Paid only after the shipment.
        later=[s for s in forward[1:] if s != DealStage.PAID],
        back=PIPELINE[position - 1] if position > 0 else None,
        lose=True,
        needs_client=needs_client,
    )


def deal_incidents(deal: Deal, user: AnyUser) -> list[Any]:
    """The incidents about this deal the reader may read (overrides of its moves, the audit's
    findings), the latest first."""
    from kam.incidents.selectors import incidents_base

    scope = access.incident_scope(
        user, incidents_base().filter(subject_type="deal", subject_id=deal.pk)
    )
    return list(scope.order_by("-opened_at", "-id")[:20])


def terms_allowed(deal: Deal, position: Any) -> bool | None:
    """Whether the client's valid decisions allow the deal's payment terms (None: paid on
    shipment, nothing to allow)."""
    if deal.payment_terms_days <= 0:
        return None
    return position.terms_days is not None and deal.payment_terms_days <= position.terms_days


# --- Prospects -----------------------------------------------------------------------------------


def prospects_base() -> QuerySet[Prospect]:
    """Prospects with their owner, the client they became and their open deals (count and
    amount), in one query."""
    open_deals = Q(deals__stage__in=OPEN_STAGES)
    return Prospect.objects.select_related("owner", "client").annotate(
        open_deals=Count("deals", filter=open_deals),
        open_amount=Sum("deals__amount", filter=open_deals),
    )


def prospects_visible(user: AnyUser) -> QuerySet[Prospect]:
    return access.prospect_scope(user, prospects_base())


def prospect_search(queryset: QuerySet[Prospect], text: str) -> QuerySet[Prospect]:
    """By name (any letter case), tax id or contact person."""
    text = text.strip()
    if not text:
        return queryset
    folded = text.lower()
    return queryset.alias(_name_lc=Lower("name"), _contact_lc=Lower("contact_name")).filter(
        Q(_name_lc__contains=folded) | Q(tax_id__startswith=text) | Q(_contact_lc__contains=folded)
    )


def prospect_status_counts(queryset: QuerySet[Prospect]) -> dict[str, int]:
    rows = queryset.order_by().values("status").annotate(n=Count("id", distinct=True))
    counts = dict.fromkeys(ProspectStatus.values, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def prospect_history(prospect: Prospect) -> list[ProspectEvent]:
    return list(prospect.events.select_related("actor__employee").order_by("at", "id"))


def prospect_moves(prospect: Prospect) -> list[str]:
    """The statuses the prospect may go to next (losing and converting have their own forms)."""
    return [
        s
        for s in PROSPECT_NEXT.get(ProspectStatus(prospect.status), ())
        if s != ProspectStatus.LOST
    ]


def prospect_deals(prospect: Prospect) -> list[Deal]:
    return list(
        Deal.objects.filter(prospect=prospect)
        .select_related("owner__department", "client")
        .order_by("-created_at", "-id")
    )


# --- Choices of the forms --------------------------------------------------------------------


def owner_options() -> list[tuple[int, str]]:
    """Who may own a deal or a prospect: the active staff of the selling departments and the
    sales director (the service decides the rest: the key-account department owns no
    prospect)."""
    from kam.organization.choices import Role

    selling = Q(department__kind__in=SELLING_DEPARTMENTS) | Q(role=Role.DIRECTOR)
    return list(
        Employee.objects.filter(selling, is_active=True).order_by("name").values_list("pk", "name")
    )


def employee_filter_options() -> list[tuple[int, str]]:
    return list(Employee.objects.order_by("name").values_list("pk", "name"))


def client_options(user: AnyUser) -> list[tuple[int, str]]:
    """The clients the user may see, "name (code)", for the new deal's drop-down."""
    return [
        (pk, f"{name} ({code})")
        for pk, name, code in access.client_scope(user)
        .order_by("name")
        .values_list("pk", "name", "code")
    ]


def prospect_options(user: AnyUser) -> list[tuple[int, str]]:
    """The user's prospects still worked (not converted, not lost)."""
    from kam.deals.choices import OPEN_PROSPECT

    return list(
        access.prospect_scope(user, Prospect.objects.filter(status__in=OPEN_PROSPECT))
        .order_by("name")
        .values_list("pk", "name")
    )


def product_group_options() -> list[str]:
    """The product groups the company sells (the ledger's), as suggestions."""
    from kam.ledger.models import MonthlyRollup

    return list(
        MonthlyRollup.objects.exclude(product_group="")
        .order_by("product_group")
        .values_list("product_group", flat=True)
        .distinct()[:200]
    )


# --- The client card's panel ------------------------------------------------------------------


def client_deals_panel(*, client: Client, user: AnyUser) -> dict[str, Any]:
    """The client's open deals the reader may see (the soonest to close first) and whether they
    may start one."""
    scope = deals_visible(user).filter(client=client)
    open_deals = scope.filter(stage__in=OPEN_STAGES)
    deals = list(open_deals.order_by("expected_close", "id")[:20])
    summary = open_deals.order_by().aggregate(n=Count("id"), amount=Sum("amount"))
    return {
        "deals": deals,
        "count": summary["n"] or 0,
        "amount": summary["amount"] or Decimal(0),
        "today": timezone.localdate(),
        "late_stages": LATE_STAGES,
        "can_create": access.can_work_deals(user),
    }
