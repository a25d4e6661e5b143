"""What /api/deals accepts and returns: prospects (the acquisition subprocess) with their
history, conversion and duplicates; deals (deal support and closing) with their stages, the
pipeline and the rulebook's refusal of a move.

Money is a JSON number in the company currency, net of VAT, as everywhere in the API.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated

from ninja import Field, Schema

from kam.api.credit_schemas import (
    MAX_AMOUNT,
    MAX_TERMS_DAYS,
    TEXT_MAX,
    CreditApplicationRefOut,
    CreditPositionOut,
)
from kam.api.incidents_schemas import QueryDate
from kam.api.sales_schemas import BrokenRuleOut, IncidentRefOut
from kam.api.schemas import (
    CODE,
    CODE_MAX,
    MAX_ID,
    NO_NUL,
    REASON_MAX,
    BodyDate,
    BodyIn,
    BodyInt,
    ClientRefOut,
    EmployeeRefOut,
    QueryParams,
)
from kam.deals.choices import DealStage, ProspectSource, ProspectStatus
from kam.deals.filters import DEAL_SORTS, PROSPECT_SORTS

if TYPE_CHECKING:
    ProspectNextStatus = ProspectStatus
    DealSort = str
    ProspectSort = str
else:
    # Converting has its own operation: the status change offers the other statuses.
    ProspectNextStatus = enum.StrEnum(
        "ProspectNextStatus",
        {s.name: s.value for s in ProspectStatus if s != ProspectStatus.CONVERTED},
    )

    def _sorts(name: str, sorts: dict[str, object]) -> type[enum.StrEnum]:
        """The pages' sort keys (kam.deals.filters), ``-`` first sorting descending."""
        return enum.StrEnum(
            name,
            {
                **{key.upper(): key for key in sorts},
                **{f"{key.upper()}_DESC": f"-{key}" for key in sorts},
            },
        )

    DealSort = _sorts("DealSort", DEAL_SORTS)
    ProspectSort = _sorts("ProspectSort", PROSPECT_SORTS)

#: A company name, a deal's title, a product group.
NAME_MAX = 255
#: Product groups of one deal.
MAX_GROUPS = 30
#: Text query parameters.
SEARCH_MAX = 200
#: An e-mail address (empty: none); the rest is the mail server's business.
EMAIL = r"^$|^[^@\s\x00]+@[^@\s\x00]+$"

Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]
ProductGroup = Annotated[str, Field(min_length=1, max_length=NAME_MAX, pattern=NO_NUL)]


# --- Prospects ---------------------------------------------------------------------------------


class ProspectRefOut(Schema):
    id: int
    name: str
    status: ProspectStatus


class ProspectOut(Schema):
    """A prospect in a list."""

    id: int
    name: str
    tax_id: str
    industry: str
    region: str
    contact_name: str
    phone: str
    email: str
    source: ProspectSource
    status: ProspectStatus
    status_since: dt.datetime
    owner: EmployeeRefOut
    client: ClientRefOut | None = Field(description="The client it became; null until then.")
    lost_reason: str
    open_deals: int = Field(ge=0, description="Its deals not paid or lost.")
    open_amount: float = Field(description="Their amount.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ProspectListOut(Schema):
    count: int = Field(description="Prospects matching the filters (all pages).")
    items: list[ProspectOut]


class ProspectEventOut(Schema):
    status_before: ProspectStatus | None = Field(description="Null: created.")
    status: ProspectStatus
    comment: str
    actor: str | None
    at: dt.datetime


class ProspectFilters(QueryParams):
    """The prospects' filters; absent means "any"."""

    status: list[ProspectStatus] | None = Field(None, description="Any of these statuses.")
    source: ProspectSource | None = None
    owner_code: str | None = Field(
        None, max_length=CODE_MAX, pattern=NO_NUL, description="The owner's employee code."
    )
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX,
        pattern=NO_NUL,
        description="The name or the contact person contain it (any letter case), or the tax "
        "id starts with it.",
    )
    sort: ProspectSort | None = Field(
        None, description="Sort key; `-` sorts descending. Default: by name."
    )


class ProspectIn(BodyIn):
    name: str = Field(max_length=NAME_MAX, pattern=NO_NUL, examples=["ООО «Вектор»"])
    source: ProspectSource
    owner_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Who works it (sales staff, never the key-account department); default: "
        "the caller.",
    )
    tax_id: str = Field("", max_length=20, pattern=NO_NUL, examples=["7701234567"])
    industry: str = Field("", max_length=NAME_MAX, pattern=NO_NUL)
    region: str = Field("", max_length=NAME_MAX, pattern=NO_NUL)
    contact_name: str = Field("", max_length=NAME_MAX, pattern=NO_NUL)
    phone: str = Field("", max_length=64, pattern=NO_NUL)
    email: str = Field("", max_length=254, pattern=EMAIL)
    notes: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)


class ProspectPatchIn(BodyIn):
    """Only the fields given change (not the status: see the status operation)."""

    name: str | None = Field(None, max_length=NAME_MAX, pattern=NO_NUL)
    source: ProspectSource | None = None
    owner_code: str | None = Field(None, min_length=1, max_length=CODE_MAX, pattern=CODE)
    tax_id: str | None = Field(None, max_length=20, pattern=NO_NUL)
    industry: str | None = Field(None, max_length=NAME_MAX, pattern=NO_NUL)
    region: str | None = Field(None, max_length=NAME_MAX, pattern=NO_NUL)
    contact_name: str | None = Field(None, max_length=NAME_MAX, pattern=NO_NUL)
    phone: str | None = Field(None, max_length=64, pattern=NO_NUL)
    email: str | None = Field(None, max_length=254, pattern=EMAIL)
    notes: str | None = Field(None, max_length=TEXT_MAX, pattern=NO_NUL)


class ProspectStatusIn(BodyIn):
    status: ProspectNextStatus = Field(
        description="new → contacted → qualified, or lost (a lost one may start again as new)."
    )
    comment: str = Field(
        "", max_length=REASON_MAX, pattern=NO_NUL, description="Required to lose it: why."
    )


class ProspectDuplicateOut(Schema):
    """A client that may be the same company as the prospect."""

    id: int
    code: str
    name: str
    tax_id: str
    responsible: EmployeeRefOut | None
    matched_by: list[str] = Field(description="`tax_id`, `name` or both.")


class ProspectConvertIn(BodyIn):
    client_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Link the prospect to this existing client (one of the caller's, or one of "
        "the prospect's possible duplicates) instead of making a new one.",
    )
    new_client_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="The new client's code; default: kam numbers it (N-000001).",
    )
    confirm_new: bool = Field(
        False,
        strict=True,
        description="Make a new client although clients with the same tax id or name exist.",
    )


class ProspectConvertRefusedOut(Schema):
    """409: the prospect may be a client already (link it or confirm a new one), or it is
    converted or lost."""

    detail: str
    candidates: list[ProspectDuplicateOut] = Field(
        description="The clients that may be the same company (empty for other refusals)."
    )


# --- Deals -------------------------------------------------------------------------------------


class DealOut(Schema):
    """A deal in a list."""

    id: int
    number: str = Field(examples=["D-000042"])
    title: str
    client: ClientRefOut | None = Field(description="Null: a prospect's deal.")
    prospect: ProspectRefOut | None = Field(description="The prospect it was won from.")
    owner: EmployeeRefOut
    amount: float
    product_groups: list[str]
    payment_terms_days: int = Field(ge=0, description="0: paid on shipment.")
    deferred: bool = Field(description="On deferred payment (terms above 0).")
    expected_close: dt.date
    late: bool = Field(description="Not at the contract yet and past its expected close.")
    stage: DealStage
    stage_since: dt.datetime
    lost_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class DealListOut(Schema):
    count: int = Field(description="Deals matching the filters (all pages).")
    amount: float = Field(description="Their total amount (all pages).")
    items: list[DealOut]


class DealStageChangeOut(Schema):
    stage_before: DealStage | None = Field(description="Null: created.")
    stage: DealStage
    comment: str
    actor: str | None
    at: dt.datetime


class DealDetailOut(DealOut):
    """The deal card: its history, the client's credit and what the committee and the rulebook
    said about it."""

    notes: str
    created_by: str | None
    may_edit: bool = Field(description="The caller may change and move it.")
    stage_history: list[DealStageChangeOut] = Field(description="Oldest first.")
    credit: CreditPositionOut | None = Field(
        description="The client's credit position today; null for a prospect's deal."
    )
    credit_applications: list[CreditApplicationRefOut] = Field(
        description="Applications filed for the deal that the caller may read."
    )
    incidents: list[IncidentRefOut] = Field(
        description="Incidents about the deal the caller may read (overrides included)."
    )


class ProspectDetailOut(ProspectOut):
    notes: str
    created_by: str | None
    may_edit: bool = Field(description="The caller may change, move and convert it.")
    events: list[ProspectEventOut] = Field(description="The status history, oldest first.")
    deals: list[DealOut] = Field(description="Its deals that the caller may read.")


class PipelineFilters(QueryParams):
    """Which deals; absent means "any"."""

    owner_code: str | None = Field(
        None, max_length=CODE_MAX, pattern=NO_NUL, description="The owner's employee code."
    )
    client_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    prospect_id: int | None = Field(None, ge=1, le=MAX_ID)
    deferred: bool | None = Field(None, description="On deferred payment (true) or not.")
    expected_close_from: QueryDate | None = Field(None, description="This day or later.")
    expected_close_to: QueryDate | None = Field(None, description="This day or earlier.")
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX,
        pattern=NO_NUL,
        description="The number (D-000042), the title, the client's or the prospect's name "
        "contain it, or the client's code is it.",
    )


class DealFilters(PipelineFilters):
    stage: list[DealStage] | None = Field(None, description="Any of these stages.")
    open: bool | None = Field(None, description="Not paid or lost (true), or closed (false).")
    sort: DealSort | None = Field(
        None,
        description="Sort key; `-` sorts descending; the stage sorts in the pipeline's order. "
        "Default: the earliest expected close first.",
    )


class PipelineStageOut(Schema):
    stage: DealStage
    label: str = Field(description="In the caller's language.")
    count: int = Field(ge=0)
    amount: float


class PipelineOut(Schema):
    """The pipeline by stage, in its order (lost last)."""

    stages: list[PipelineStageOut]
    open_count: int = Field(ge=0, description="Deals before paid, not lost.")
    open_amount: float


class DealIn(BodyIn):
    """A deal for a client (`client_code`) or a prospect (`prospect_id`): one of the two."""

    title: str = Field(max_length=NAME_MAX, pattern=NO_NUL, examples=["Paper for the quarter"])
    client_code: str | None = Field(
        None, min_length=1, max_length=CODE_MAX, pattern=CODE, examples=["C1"]
    )
    prospect_id: BodyInt | None = Field(None, ge=1, le=MAX_ID, examples=[None])
    owner_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Default: the caller.",
        examples=[None],
    )
    amount: Amount = Field(examples=[300000])
    payment_terms_days: BodyInt = Field(
        0, ge=0, le=MAX_TERMS_DAYS, description="0: paid on shipment.", examples=[45]
    )
    expected_close: BodyDate
    product_groups: list[ProductGroup] = Field(
        default_factory=list, max_length=MAX_GROUPS, examples=[["Бумага", "Картон"]]
    )
    notes: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)


class DealPatchIn(BodyIn):
    """Only the fields given change. From the contract on, the amount and the terms stay."""

    title: str | None = Field(None, max_length=NAME_MAX, pattern=NO_NUL)
    amount: Amount | None = None
    payment_terms_days: BodyInt | None = Field(None, ge=0, le=MAX_TERMS_DAYS)
    expected_close: BodyDate | None = None
    product_groups: list[ProductGroup] | None = Field(None, max_length=MAX_GROUPS)
    notes: str | None = Field(None, max_length=TEXT_MAX, pattern=NO_NUL)


class DealMoveIn(BodyIn):
    stage: DealStage
    comment: str = Field(
        "", max_length=REASON_MAX, pattern=NO_NUL, description="Required to lose it: why."
    )
    override_reason: str = Field(
        "",
        max_length=REASON_MAX,
        pattern=NO_NUL,
        description="Move although a mandatory rule refuses it: for the roles the rule names; "
        "an incident is opened for the override.",
        examples=[""],
    )


class DealMovedOut(DealDetailOut):
    opened_incidents: list[IncidentRefOut] = Field(description="Opened for the overrides.")
    warnings: list[str] = Field(description="Recommendations the move breaks (it went through).")


class DealMoveRefusedOut(Schema):
    """409: mandatory rules refuse the move (`rules` names each), or the deal cannot go there
    (closed, at that stage already, a prospect's deal before the contract: `rules` empty)."""

    detail: str
    rules: list[BrokenRuleOut]
    overridable: bool = Field(description="The caller may move it by sending an `override_reason`.")
