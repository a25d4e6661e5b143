"""What /api/credit accepts and returns: credit applications with the members' votes, the
decisions (the committee's and the imported ones), the committee's policy and a client's credit
position.

Money is a JSON number in the company currency, as everywhere in the API. The names here are
the document's: none may repeat another schema's (an enum named like another replaces it).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Annotated, Any

from ninja import Field, Schema

from kam.api.schemas import (
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
from kam.clients.choices import ClientStatus
from kam.credit.choices import ApplicationState, DecisionState, VoteChoice
from kam.credit.models import CreditDecisionSource
from kam.credit.selectors import CONFLICTS

#: The largest amount a JSON number carries with its cents exactly (the column holds more).
MAX_AMOUNT = 1e13
#: Payment terms of a decision, days.
MAX_TERMS_DAYS = 365
#: A justification or a vote's comment.
TEXT_MAX = 20_000

Money = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]


if TYPE_CHECKING:
    CreditDecisionState = DecisionState
    ConflictReason = str
else:
    # The document keys its schemas by name: "DecisionState" would read as a status decision's.
    CreditDecisionState = enum.StrEnum(
        "CreditDecisionState", {k.name: k.value for k in DecisionState}
    )
    #: Why a committee member may not vote on an application (kam.credit.selectors.CONFLICTS).
    ConflictReason = enum.StrEnum("ConflictReason", {k.upper(): k for k in CONFLICTS})


# --- Decisions and the credit position ---------------------------------------------------------


class CreditDecisionRefOut(Schema):
    id: int
    decision_no: str = Field(examples=["CC-2026-00001"])


class CreditDecisionRowOut(Schema):
    """A decision of the register: who may buy on deferred payment, up to what, until when."""

    id: int
    decision_no: str = Field(examples=["CC-2026-00001"])
    client: ClientRefOut
    date: dt.date
    credit_limit: float
    max_terms_days: int = Field(ge=0)
    valid_until: dt.date | None = Field(description="Null: no end date.")
    source: CreditDecisionSource
    state: CreditDecisionState = Field(
        description="Today: valid, not yet valid (dated later), expired or revoked."
    )
    application_id: int | None = Field(description="The committee's application; null: imported.")
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str


class CreditDecisionListOut(Schema):
    count: int = Field(description="Decisions matching the filters (all pages).")
    items: list[CreditDecisionRowOut]


class CreditVoteOut(Schema):
    id: int
    member: EmployeeRefOut
    choice: VoteChoice
    limit: float | None = Field(description="The lower limit approved; null: as asked.")
    terms_days: int | None = Field(description="The shorter terms approved; null: as asked.")
    comment: str
    cast_by: str | None = Field(description="The login that cast it.")
    at: dt.datetime


class CreditApplicationRefOut(Schema):
    id: int
    number: str = Field(examples=["CA-000012"])
    state: ApplicationState


class CreditDecisionDetailOut(CreditDecisionRowOut):
    application: CreditApplicationRefOut | None = Field(description="Null: imported.")
    votes: list[CreditVoteOut] = Field(description="The committee's votes (the protocol).")


class CreditDecisionFilters(QueryParams):
    """The decision register's filters; absent means "any"."""

    client_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    source: CreditDecisionSource | None = None
    state: CreditDecisionState | None = Field(None, description="As of today.")


class CreditRevokeIn(BodyIn):
    reason: str = Field(
        max_length=REASON_MAX,
        pattern=NO_NUL,
        description="Why (required); the decision is kept, revoked from now on.",
        examples=["The client's debt is 60 days overdue"],
    )


class CreditPositionOut(Schema):
    """A client's credit on a day: the limit and terms the valid decisions allow, the exposure
    (unpaid receivables and the deals on deferred terms at the contract stage), what is left."""

    on: dt.date
    decision: CreditDecisionRefOut | None = Field(description="The latest valid decision.")
    credit_limit: float | None = Field(description="Null: no valid decision.")
    max_terms_days: int | None
    valid_until: dt.date | None
    unpaid: float
    overdue: float
    max_overdue_days: int = Field(ge=0)
    deals_at_contract: float = Field(description="Deals on deferred terms at the contract stage.")
    exposure: float = Field(description="Unpaid + deals at contract.")
    available: float | None = Field(description="Limit − exposure; null: no valid decision.")


class CreditClientOut(Schema):
    """The client card's credit panel: the position, every decision, the applications."""

    client: ClientRefOut
    status: ClientStatus
    responsible: EmployeeRefOut | None
    position: CreditPositionOut
    decisions: list[CreditDecisionRowOut] = Field(description="Every decision, the latest first.")
    applications: list[CreditApplicationRefOut] = Field(
        description="The applications the caller may read, the latest first."
    )


# --- Applications and votes --------------------------------------------------------------------


class DealRefOut(Schema):
    id: int
    number: str = Field(examples=["D-000042"])
    title: str


class CreditApplicationOut(Schema):
    """An application in a list: what is asked, for whom, and how the votes stand."""

    id: int
    number: str = Field(examples=["CA-000012"])
    client: ClientRefOut
    deal: DealRefOut | None
    requested_limit: float
    requested_terms_days: int = Field(ge=1)
    valid_until: dt.date | None = Field(description="The decision is asked until this day.")
    state: ApplicationState
    applicant: EmployeeRefOut | None
    requested_by: str | None
    created_at: dt.datetime
    decided_at: dt.datetime | None = Field(description="Decided or withdrawn.")
    approvals_needed: int = Field(ge=1, description="The policy when it was filed: M.")
    chair_must_approve: bool
    voters: int = Field(ge=0, description="Members who may vote on it: N.")
    approvals: int = Field(ge=0)
    rejections: int = Field(ge=0)
    may_vote: bool = Field(description="The caller is a member who may vote on it now.")


class CreditApplicationListOut(Schema):
    count: int = Field(description="Applications matching the filters (all pages).")
    items: list[CreditApplicationOut]


class CreditApplicationFilters(QueryParams):
    """The applications' filters; absent means "any"."""

    state: ApplicationState | None = None
    client_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    applicant_code: str | None = Field(
        None, max_length=CODE_MAX, pattern=NO_NUL, description="The applicant's employee code."
    )
    deal_id: int | None = Field(None, ge=1, le=MAX_ID)
    awaiting_me: bool | None = Field(
        None,
        description="true: awaiting the caller's vote (the committee inbox); false: the rest.",
    )


class CreditVoterOut(Schema):
    member: EmployeeRefOut
    chair: bool
    voted: bool


class CreditConflictOut(Schema):
    """A member of the committee who may not vote on the application, and why: the applicant,
    responsible for the client, the deal's owner, or not a member when it was filed."""

    member: EmployeeRefOut
    chair: bool
    reason: ConflictReason


class CreditApplicationDetailOut(CreditApplicationOut):
    """The application card and its protocol: the facts the members saw, every vote, who may
    vote and who may not, the decision."""

    justification: str
    facts: dict[str, Any] = Field(
        description="The client's credit facts and payment discipline on the day it was filed "
        "(amounts as decimal strings)."
    )
    chair: EmployeeRefOut | None
    votes: list[CreditVoteOut]
    voter_list: list[CreditVoterOut] = Field(
        description="The members who may vote on it: those who voted in the order they did, "
        "then the others by name (the protocol's order)."
    )
    conflicted: list[CreditConflictOut] = Field(
        description="The committee's members who may not vote on it."
    )
    decision: CreditDecisionRowOut | None = Field(description="Null unless approved.")
    withdrawn_reason: str
    may_withdraw: bool


class CreditApplicationIn(BodyIn):
    client_code: str = Field(min_length=1, max_length=CODE_MAX, pattern=NO_NUL, examples=["C1"])
    deal_id: BodyInt | None = Field(
        None, ge=1, le=MAX_ID, description="The deal it is asked for (the client's)."
    )
    requested_limit: Money = Field(description="Above 0.", examples=[500000])
    requested_terms_days: BodyInt = Field(ge=1, le=MAX_TERMS_DAYS, examples=[45])
    valid_until: BodyDate | None = Field(
        None, description="After today; default: the policy's months from today."
    )
    justification: str = Field(
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        description="Why the client should get deferred payment (required).",
        examples=["Buys every month and pays on time"],
    )


class CreditVoteIn(BodyIn):
    choice: VoteChoice
    limit: Money | None = Field(
        None, description="approve_reduced: a lower limit than asked.", examples=[None]
    )
    terms_days: BodyInt | None = Field(
        None,
        ge=1,
        le=MAX_TERMS_DAYS,
        description="approve_reduced: shorter terms than asked.",
        examples=[None],
    )
    comment: str = Field(
        "",
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        description="Required to reject: the applicant reads it.",
    )


class CreditVoteCastOut(Schema):
    """The vote, and the application as it stands after it (with the decision when the vote
    met the policy)."""

    vote: CreditVoteOut
    application: CreditApplicationDetailOut


class CreditWithdrawIn(BodyIn):
    reason: str = Field(max_length=REASON_MAX, pattern=NO_NUL, description="Why (required).")


# --- The committee -----------------------------------------------------------------------------


class CommitteeSettingsOut(Schema):
    approvals_needed: int = Field(ge=1, description="M: approvals that decide an application.")
    chair_must_approve: bool
    validity_months: int = Field(
        ge=1, le=36, description="How long a decision is valid when the application says not."
    )
    members: list[EmployeeRefOut] = Field(description="N: the credit committee's employees.")
    chair: EmployeeRefOut | None = Field(description="The committee department's head.")
    updated_at: dt.datetime


class CommitteeSettingsIn(BodyIn):
    approvals_needed: BodyInt = Field(ge=1, le=20, description="At most the number of members.")
    chair_must_approve: bool = Field(strict=True)
    validity_months: BodyInt = Field(ge=1, le=36)
