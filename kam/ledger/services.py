"""Registering a sale in kam: a shipment about to go out, entered by the client's manager.

Most of the ledger comes from 1C imports; a sale registered here is a sales document like an
imported one (lines, document totals, the monthly roll-up kept current), with a number of its
own (``KAM-2026-000001``) unless the manager gives the 1C number, so a later import of the
same document updates it in place. The rulebook guards it: a deferred sale without a valid
credit-committee decision (or over the limit, or to a client whose debt is overdue) is refused
with the rule's message unless an authorised role overrides, which opens an incident.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.models import Client
from kam.incidents.models import Incident
from kam.ledger.models import MonthlyRollup, SalesDocument, SalesLine
from kam.numbers import decimal_from_text, next_number
from kam.web import access

AnyUser = access.AnyUser
#: The furthest back a sale may be dated (older shipments come with the 1C import).
BACKDATE_DAYS = 31
MAX_TERMS_DAYS = 365
DOC_PREFIX = "KAM"


@dataclass
class SaleLineInput:
    product_group: str
    amount: Any
    product_code: str = ""
    quantity: Any = None
    cost: Any = None


@dataclass
class RegisteredSale:
    document: SalesDocument
    incidents: list[Incident]
    warnings: list[str]


def _number(value: Any, field: str, *, allow_negative: bool = True) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = decimal_from_text(value)
    except InvalidOperation:
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if not allow_negative and number < 0:
        raise ValidationError({field: _("Enter a number of 0 or more.")})
    return number.quantize(Decimal("0.01")) if field.endswith(("amount", "cost")) else number


def next_document_number(day: dt.date) -> str:
    prefix = f"{DOC_PREFIX}-{day.year}-"
    taken = SalesDocument.objects.filter(doc_no__startswith=prefix).values_list("doc_no", flat=True)
    return next_number(taken, prefix, 6)


def _clean(
    *, date: Any, payment_terms_days: Any, lines: list[SaleLineInput], doc_no: str
) -> tuple[dt.date, int, list[dict[str, Any]], str]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if not isinstance(date, dt.date):
        errors["date"] = [_("Enter the date of the shipment.")]
    elif date > today:
        errors["date"] = [_("A sale is registered when it ships, not in advance.")]
    elif date < today - dt.timedelta(days=BACKDATE_DAYS):
        errors["date"] = [
            _("Older shipments come with the 1C import (at most %(n)s days back here).")
            % {"n": BACKDATE_DAYS}
        ]
    try:
        terms = int(payment_terms_days or 0)
    except (TypeError, ValueError):
        terms = -1
    if not 0 <= terms <= MAX_TERMS_DAYS:
        errors["payment_terms_days"] = [
            _("Payment terms are 0 to %(n)s days.") % {"n": MAX_TERMS_DAYS}
        ]
    cleaned: list[dict[str, Any]] = []
    for position, line in enumerate(lines, start=1):
        if not (line.product_group or "").strip() and line.amount in (None, ""):
            continue
        prefix = f"lines.{position}."
        try:
            amount = _number(line.amount, prefix + "amount")
            quantity = _number(line.quantity, prefix + "quantity")
            cost = _number(line.cost, prefix + "cost", allow_negative=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
            continue
        if amount is None or amount == 0:
            errors.setdefault(prefix + "amount", []).append(
                _("Line %(n)s: enter the amount (negative for a return).") % {"n": position}
            )
            continue
        if not (line.product_group or "").strip():
            errors.setdefault(prefix + "product_group", []).append(
                _("Line %(n)s: name the product group.") % {"n": position}
            )
            continue
        cleaned.append(
            {
                "line_no": len(cleaned) + 1,
                "product_group": line.product_group.strip()[:255],
                "product_code": (line.product_code or "").strip()[:64],
                "quantity": quantity,
                "amount": amount,
                "cost": cost,
            }
        )
    if not cleaned and "lines" not in errors and not any(k.startswith("lines.") for k in errors):
        errors["lines"] = [_("Add at least one line.")]
    doc_no = (doc_no or "").strip()
    if len(doc_no) > 64:
        errors["doc_no"] = [_("A document number has at most 64 characters.")]
    elif doc_no and SalesDocument.objects.filter(doc_no=doc_no).exists():
        errors["doc_no"] = [_("Document %(doc)s is already in the ledger.") % {"doc": doc_no}]
    if errors:
        raise ValidationError(errors)
    assert isinstance(date, dt.date)
    return date, terms, cleaned, doc_no


@transaction.atomic
def sale_register(
    *,
    client: Client,
    date: Any,
    payment_terms_days: Any,
    lines: list[SaleLineInput],
    user: AnyUser | None,
    doc_no: str = "",
    override_reason: str = "",
) -> RegisteredSale:
    """Register a shipment to ``client`` (see the module's docstring); one audit row."""
    from kam.rules.guards import guard

    if user is not None and not access.can_register_sale(user, client):
        raise PermissionDenied(
            _(
                "Sales are registered by the client's responsible employee, the key-account "
                "head or the director."
            )
        )
    client = Client.objects.select_for_update().get(pk=client.pk)
    date, terms, cleaned, doc_no = _clean(
        date=date, payment_terms_days=payment_terms_days, lines=lines, doc_no=doc_no
    )
    seller = access.user_employee(user) if user is not None else None
    total = sum((line["amount"] for line in cleaned), Decimal(0))
    doc_no = doc_no or next_document_number(date)
    checked = guard(
        subject="sales_document",
        user=user,
        as_of=date,
        rows=[
            {
                "subject_key": doc_no,
                "client_id": client.pk,
                "document_date": date,
                "payment_terms_days": terms,
                "amount": float(total),
                "seller_id": seller.pk if seller is not None else None,
            }
        ],
        override_reason=override_reason,
    )
    month = date.replace(day=1)
    SalesLine.objects.bulk_create(
        [
            SalesLine(
                doc_no=doc_no,
                date=date,
                month=month,
                client=client,
                payment_terms_days=terms,
                employee=seller,
                **line,
            )
            for line in cleaned
        ]
    )
    costs = [line["cost"] for line in cleaned if line["cost"] is not None]
    document = SalesDocument.objects.create(
        doc_no=doc_no,
        date=date,
        client=client,
        payment_terms_days=terms,
        due_date=date + dt.timedelta(days=terms),
        employee=seller,
        amount=total,
        cost=sum(costs, Decimal(0)) if costs else None,
        lines=len(cleaned),
    )
    rollup_rebuild(client_id=client.pk, month=month)
    incidents = checked.record(user=user, subject_id=document.pk, subject_key=doc_no)
    audit_record(
        actor=user,
        action="ledger.sale_registered",
        obj=document,
        summary=f"{doc_no}: {client.code}, {total} ({terms} days)",
        data={
            "client": client.code,
            "amount": str(total),
            "payment_terms_days": terms,
            "lines": len(cleaned),
            "overridden": [i.rule.code for i in incidents],
            "override_reason": checked.reason,
        },
    )
    return RegisteredSale(document, incidents, checked.warning_messages())


def rollup_rebuild(*, client_id: int, month: dt.date) -> None:
    """Recompute one client's roll-up of one month from its lines, as the import does (the
    cost and margin of the lines that have a cost; none where no line has one)."""
    MonthlyRollup.objects.filter(client_id=client_id, month=month).delete()
    groups = (
        SalesLine.objects.filter(client_id=client_id, month=month)
        .values("product_group")
        .annotate(
            revenue=Sum("amount"),
            cost_sum=Sum("cost"),
            margin=Sum(F("amount") - F("cost")),
            quantity_sum=Sum("quantity"),
            documents=Count("doc_no", distinct=True),
            lines=Count("id"),
        )
    )
    MonthlyRollup.objects.bulk_create(
        [
            MonthlyRollup(
                client_id=client_id,
                month=month,
                product_group=group["product_group"],
                revenue=group["revenue"],
                cost=group["cost_sum"],
                margin=group["margin"],
                quantity=group["quantity_sum"] or 0,
                documents=group["documents"],
                lines=group["lines"],
            )
            for group in groups
        ]
    )
