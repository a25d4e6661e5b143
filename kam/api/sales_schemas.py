"""What /api/sales accepts and returns: registering a sale (a shipment about to go out) and
the rulebook's refusal of one.

Amounts are JSON numbers in the company currency, net of VAT; a negative amount is a return.
"""

from __future__ import annotations

from typing import Annotated

from ninja import Field, Schema

from kam.api.schemas import (
    CODE,
    CODE_MAX,
    NO_NUL,
    REASON_MAX,
    BodyDate,
    BodyIn,
    BodyInt,
    ClientRefOut,
    SalesDocumentOut,
)

#: The largest amount a JSON number carries with its cents exactly (the column holds more).
MAX_AMOUNT = 1e13
#: Lines of one document.
MAX_LINES = 500

Amount = Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]
Cost = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]


class SaleLineIn(BodyIn):
    product_group: str = Field(max_length=255, pattern=NO_NUL, examples=["Бумага"])
    product_code: str = Field("", max_length=64, pattern=NO_NUL, examples=["P-100"])
    quantity: Amount | None = Field(None, examples=[10])
    amount: Amount = Field(
        description="Net of VAT; negative for a return; not zero.", examples=[150000]
    )
    cost: Cost | None = Field(
        None, description="Null: unknown (the margin is not counted).", examples=[110000]
    )


class SaleIn(BodyIn):
    client_code: str = Field(min_length=1, max_length=CODE_MAX, pattern=CODE, examples=["C000040"])
    date: BodyDate | None = Field(
        None, description="The shipment's date: today (default) or up to 31 days back."
    )
    payment_terms_days: BodyInt = Field(
        0, ge=0, le=365, description="Deferred payment, days; 0: paid on shipment.", examples=[30]
    )
    doc_no: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="The 1C number, so a later import updates the document in place; "
        "default: kam numbers it (KAM-2026-000001).",
        examples=[None],
    )
    lines: list[SaleLineIn] = Field(min_length=1, max_length=MAX_LINES)
    override_reason: str = Field(
        "",
        max_length=REASON_MAX,
        pattern=NO_NUL,
        description="Let the sale through although a mandatory rule refuses it: for the "
        "roles the rule names; an incident is opened for the override.",
        examples=[""],
    )


class IncidentRefOut(Schema):
    id: int
    number: str = Field(examples=["ЧП-000012"])
    rule: str = Field(description="The rule's code.")


class SaleOut(Schema):
    """The sales document registered, and what the rulebook said about it."""

    client: ClientRefOut
    document: SalesDocumentOut
    incidents: list[IncidentRefOut] = Field(description="Opened for the overrides.")
    warnings: list[str] = Field(description="Recommendations the sale breaks (it went through).")


class BrokenRuleOut(Schema):
    code: str
    title: str
    message: str = Field(description="The rule's message with the sale's facts filled in.")


class SaleRefusedOut(Schema):
    """409: mandatory rules refuse the sale; nothing was written."""

    detail: str
    rules: list[BrokenRuleOut]
    overridable: bool = Field(
        description="The caller may let it through by sending an `override_reason`."
    )
