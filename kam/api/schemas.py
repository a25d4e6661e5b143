"""What the API accepts and returns: explicit types, so the OpenAPI document is a contract.

Money is a JSON number in the company currency (net of VAT), as the client card shows it.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, ConfigDict, model_validator

from kam.assessment.choices import Cell, Change, CycleState, FurtherWork, Review
from kam.clients.choices import ClientStatus
from kam.imports.models import ImportKind
from kam.keyaccounts.choices import Cause, Source
from kam.organization.choices import DepartmentKind, Role
from kam.planning.choices import (
    ActionKind,
    ActionStatus,
    EventKind,
    Light,
    PeriodKind,
    PlanState,
    TargetKind,
)

# Ids are 64-bit integers: the bound tells clients so (and keeps huge numbers out of SQL).
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Text parameters must not carry NUL: PostgreSQL cannot store or compare it.
NO_NUL = r"^[^\x00]*$"


class ErrorOut(Schema):
    """Every error but request validation: a readable message."""

    detail: str


class ValidationErrorItem(Schema):
    """One invalid request value, as django-ninja reports it (``loc`` names the value)."""

    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(Schema):
    """422: the request's parameters or body do not match this document."""

    detail: list[ValidationErrorItem]


class ClientOrdering(enum.StrEnum):
    """Sort keys of the client list (ClientFilterSet's ``ordering``); ``-`` reverses."""

    NAME = "name"
    NAME_DESC = "-name"
    CODE = "code"
    CODE_DESC = "-code"
    STATUS = "status"
    STATUS_DESC = "-status"
    REGION = "region"
    REGION_DESC = "-region"
    INDUSTRY = "industry"
    INDUSTRY_DESC = "-industry"
    RESPONSIBLE = "responsible"
    RESPONSIBLE_DESC = "-responsible"


def _absent_not_null(schema: dict[str, Any]) -> None:
    """``X | None`` fields become plain ``X``: a query parameter is left out, never null."""
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [])
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(options) == 2:
            own = {k: v for k, v in prop.items() if k != "anyOf"}
            schema["properties"][name] = {**kept[0], **own}


class QueryParams(Schema):
    """Optional query parameters (None when absent), documented without null."""

    model_config = ConfigDict(json_schema_extra=_absent_not_null)


class ClientFilters(QueryParams):
    """The client list's filters, those of ClientFilterSet; absent means "any"."""

    q: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="Name (contains), code or tax id (starts with), any letter case.",
    )
    status: ClientStatus | None = Field(None, description="The client's status.")
    responsible: int | None = Field(
        None, ge=1, le=MAX_ID, description="The responsible employee's id."
    )
    department: DepartmentKind | None = Field(
        None, description="The responsible employee's department."
    )
    region: str | None = Field(None, max_length=255, pattern=NO_NUL)
    industry: str | None = Field(None, max_length=255, pattern=NO_NUL)
    ordering: ClientOrdering | None = Field(None, description="Sort key; `-` sorts descending.")

    def as_params(self) -> dict[str, str]:
        """The filter set's parameters, as a query string would give them."""
        return {name: str(value) for name, value in self.model_dump(exclude_none=True).items()}


class ImportFilters(QueryParams):
    kind: ImportKind | None = Field(None, description="Only imports of this kind.")


class EmployeeRefOut(Schema):
    id: int
    code: str
    name: str


class ClientOut(Schema):
    """A row of the client list."""

    id: int
    code: str
    name: str
    tax_id: str
    status: ClientStatus
    industry: str
    region: str
    group_code: str | None
    responsible: EmployeeRefOut | None
    revenue_12m: float = Field(description="Revenue of the last 12 months, this month included.")


class ClientListOut(Schema):
    count: int = Field(description="Clients matching the filters (all pages).")
    items: list[ClientOut]


class MonthOut(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2024-05"])
    revenue: float
    margin: float


class ReceivablesOut(Schema):
    unpaid: float
    overdue: float
    max_overdue_days: int = Field(ge=0)
    overdue_documents: int = Field(ge=0)


class SalesDocumentOut(Schema):
    doc_no: str
    date: dt.date
    due_date: dt.date
    amount: float
    cost: float | None
    payment_terms_days: int = Field(ge=0)
    lines: int = Field(ge=0)


class PaymentOut(Schema):
    doc_no: str
    date: dt.date
    amount: float
    invoice_doc_no: str


class CreditDecisionOut(Schema):
    decision_no: str
    date: dt.date
    credit_limit: float
    max_terms_days: int = Field(ge=0)
    valid_until: dt.date | None


class OwnershipOut(Schema):
    """Who keeps the client now according to the assignment history, and what is wrong."""

    responsible: EmployeeRefOut | None = Field(description="Null: nobody is responsible.")
    since: dt.date | None = Field(description="When the current responsibility began.")
    problem: str | None = Field(
        description="Why the responsible may not keep the client (separation of functions), "
        "or that a key account has nobody; null when all is well."
    )
    pending_handover_id: int | None = Field(
        description="A handover of the client the receiver has not acknowledged yet."
    )


class ClientDetailOut(Schema):
    """The client card: profile facts, sales, receivables and the credit decision in force."""

    id: int
    code: str
    name: str
    tax_id: str
    status: ClientStatus
    industry: str
    region: str
    group_code: str | None
    group_name: str | None
    employees: int | None
    annual_revenue: float | None
    purchase_potential: float | None
    responsible: EmployeeRefOut | None
    revenue_12m: float
    margin_12m: float
    monthly: list[MonthOut] = Field(description="The last 36 months, oldest first.")
    receivables: ReceivablesOut
    recent_documents: list[SalesDocumentOut] = Field(description="The latest 10, newest first.")
    recent_payments: list[PaymentOut] = Field(description="The latest 10, newest first.")
    credit_decision: CreditDecisionOut | None = Field(description="The decision valid today.")
    ownership: OwnershipOut = Field(
        description="The history at /api/key-accounts/assignments?client_id=…"
    )


class ImportBatchOut(Schema):
    id: int
    kind: ImportKind
    file_name: str
    file_format: str
    file_size: int
    file_sha256: str
    imported_by: str
    started_at: dt.datetime
    finished_at: dt.datetime
    rows: int
    created: int
    updated: int
    unchanged: int
    notices: list[str]


class ImportBatchListOut(Schema):
    count: int
    items: list[ImportBatchOut]


class ImportErrorOut(Schema):
    """One bad cell or row: the file's line number, the column, the value, the reason."""

    line: int
    column: str | None
    value: str | None
    reason: str


class ImportReportOut(Schema):
    """What an import found and did. With errors, nothing was written."""

    kind: ImportKind
    file: str
    format: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportErrorOut] = Field(description="The first 1000 errors, in file order.")
    errors_total: int
    notices: list[str]
    dry_run: bool
    import_id: int | None = Field(description="The import's id; null for a dry run or a rejection.")
    seconds: float


class ApiTokenIn(Schema):
    # At least one visible character, no NUL.
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreatedOut(Schema):
    id: int
    name: str
    prefix: str
    token: str = Field(description="The secret: shown only now, keep it safe.")
    created_at: dt.datetime


class EmployeeOut(Schema):
    id: int
    code: str
    name: str
    department: DepartmentKind


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[Role]
    employee: EmployeeOut | None
    language: str


# --- Assessment: re-evaluation cycles, proposals, status decisions -----------------------------

#: The earliest date a cycle may be run as of (the metrics read two years before it).
MIN_AS_OF = dt.date(2000, 1, 1)


class AssessmentOrdering(enum.StrEnum):
    """Sort keys of a cycle's proposals (AssessmentFilterSet's ``ordering``); ``-`` reverses."""

    NAME = "name"
    NAME_DESC = "-name"
    POTENTIAL = "potential"
    POTENTIAL_DESC = "-potential"
    ATTRACTIVENESS = "attractiveness"
    ATTRACTIVENESS_DESC = "-attractiveness"
    PRIORITY = "priority"
    PRIORITY_DESC = "-priority"
    REVENUE = "revenue"
    REVENUE_DESC = "-revenue"
    MARGIN = "margin"
    MARGIN_DESC = "-margin"
    GROWTH = "growth"
    GROWTH_DESC = "-growth"


class AbcClass(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"


class XyzClass(enum.StrEnum):
    X = "X"
    Y = "Y"
    Z = "Z"


class AssessmentFilters(QueryParams):
    """A cycle's proposals, filtered as on the proposals page (AssessmentFilterSet)."""

    q: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="Client name (contains), code or tax id (exact), any letter case.",
    )
    cell: Cell | None = Field(None, description="The portfolio cell.")
    change: Change | None = Field(None, description="The proposed change of status.")
    proposed_status: ClientStatus | None = None
    current_status: ClientStatus | None = Field(
        None, description="The client's status when the cycle ran."
    )
    review: Review | None = Field(None, description="What became of the proposal.")
    abc: AbcClass | None = Field(None, description="ABC class by revenue.")
    changed: bool | None = Field(
        None,
        description="Cell or proposal differs from the previous cycle's (true) or not (false).",
    )
    ordering: AssessmentOrdering | None = Field(
        None, description="Sort key; `-` sorts descending. Default: priority rank."
    )

    def as_params(self) -> dict[str, str]:
        """The filter set's parameters, as a query string would give them."""
        return {
            name: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for name, value in self.model_dump(exclude_none=True).items()
        }


class DecisionFilters(QueryParams):
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this client's.")


class ProposalCountsOut(Schema):
    promote: int = Field(ge=0)
    demote: int = Field(ge=0)
    keep: int = Field(ge=0)


class CycleOut(Schema):
    """A re-evaluation cycle: every client assessed as of a date with one model version."""

    id: int
    as_of: dt.date
    data_to: dt.date = Field(description="The last day of the last whole month the cycle read.")
    model_version: int
    state: CycleState
    clients: int = Field(ge=0, description="Clients assessed.")
    proposals: ProposalCountsOut = Field(description="Proposals by change of status.")
    pending: int = Field(ge=0, description="Proposed changes still awaiting a decision.")
    seconds: float = Field(description="How long the run took.")
    run_by: str | None = Field(description="Who ran it; null when run by a command.")
    started_at: dt.datetime
    finished_at: dt.datetime | None


class CycleListOut(Schema):
    count: int
    items: list[CycleOut]


class CycleRunIn(Schema):
    as_of: dt.date = Field(
        description=f"Assess as of this date: not in the future, not before {MIN_AS_OF}. "
        "Data up to the end of the last whole month is read."
    )


class ClientRefOut(Schema):
    id: int
    code: str
    name: str


class AssessmentMetricsOut(Schema):
    """The metrics a cycle computed for a client (money in the company currency; null: not
    known, e.g. no purchases or no profile fact)."""

    revenue_12m: float
    revenue_prev_12m: float
    margin_12m: float | None
    margin_prev_12m: float | None
    growth: float | None
    trend_6m: float | None
    margin_pct: float | None
    documents_12m: int
    active_months: int
    product_groups: int
    recency_days: int | None
    revenue_cv: float | None
    abc: AbcClass | None
    xyz: XyzClass | None
    rfm_r: int | None
    rfm_f: int | None
    rfm_m: int | None
    share_of_wallet: float | None
    purchase_potential: float | None
    potential_gap: float | None
    annual_revenue: float | None
    employees: float | None
    decision_makers: int
    profile_completeness: float
    days_overdue_avg: float | None
    days_overdue_max: int | None
    late_share: float | None
    group_revenue_12m: float | None
    forecast_12m: float


class AssessmentOut(Schema):
    """One client in one cycle: metrics, scores (0–100), cell and the proposal."""

    cycle_id: int
    client: ClientRefOut
    metrics: AssessmentMetricsOut
    potential: float
    attractiveness: float
    priority: float = Field(description="Key-account priority: weighted expected revenue.")
    priority_rank: int = Field(ge=1, description="1 is the highest priority in the cycle.")
    cell: Cell
    current_status: ClientStatus = Field(description="The client's status when the cycle ran.")
    proposed_status: ClientStatus
    change: Change
    review: Review
    previous_cell: Cell | None = Field(description="The cell in the previous cycle.")
    previous_proposed_status: ClientStatus | None = Field(
        description="The proposal of the previous cycle."
    )


class AssessmentListOut(Schema):
    count: int = Field(description="Assessments matching the filters (all pages).")
    items: list[AssessmentOut]


class CriterionOut(Schema):
    metric: str
    label: str
    value: float | None = Field(description="The metric's value; null when not known.")
    normalised: float | None = Field(description="0–100; null when the value is missing.")
    weight: float
    weight_share: float = Field(description="Share of the weights that counted (0 if missing).")
    contribution: float = Field(description="Points added to the axis score.")
    missing: bool


class AxisOut(Schema):
    score: float = Field(description="The sum of the criteria's contributions.")
    criteria: list[CriterionOut]


class ExplanationOut(Schema):
    potential: AxisOut
    attractiveness: AxisOut


class CycleRefOut(Schema):
    id: int
    as_of: dt.date
    model_version: int


class AssessmentHistoryOut(Schema):
    cycle: CycleRefOut
    potential: float
    attractiveness: float
    priority_rank: int
    cell: Cell
    proposed_status: ClientStatus
    change: Change
    review: Review


class DecisionOut(Schema):
    """A status decision: before and after, further work, the reason, what the decider saw."""

    id: int
    client: ClientRefOut
    status_before: ClientStatus
    status: ClientStatus
    further_work: FurtherWork
    reason: str
    next_review: dt.date | None
    decided_by: str | None
    decided_at: dt.datetime
    assessment_id: int | None = Field(description="The latest assessment when decided.")
    model_version: int | None
    potential: float | None
    attractiveness: float | None
    cell: Cell | None


class DecisionListOut(Schema):
    count: int
    items: list[DecisionOut]


class ChecklistItemOut(Schema):
    key: str
    label: str
    done: bool


class DataCollectionOut(Schema):
    """Facts to collect about a potential key account, and how complete the profile is."""

    collecting: bool = Field(description="The client is a potential key account (or was).")
    opened_at: dt.datetime | None = Field(description="When the open data collection began.")
    checklist: list[ChecklistItemOut]
    completeness: float = Field(ge=0, le=1)


class ClientAssessmentOut(Schema):
    """The client's latest assessment explained, earlier ones, decisions, data collection."""

    client: ClientRefOut
    status: ClientStatus = Field(description="The client's status now.")
    assessment: AssessmentOut | None = Field(description="Latest; null if never assessed.")
    cycle: CycleRefOut | None = Field(description="The cycle of the latest assessment.")
    explanation: ExplanationOut | None
    history: list[AssessmentHistoryOut] = Field(description="The latest 12, newest first.")
    decisions: list[DecisionOut] = Field(description="The latest 50, newest first.")
    data_collection: DataCollectionOut


# Free text: no NUL (PostgreSQL cannot store it).
REASON_MAX = 4000


class DecisionIn(Schema):
    client_id: int = Field(ge=1, le=MAX_ID)
    status: ClientStatus
    further_work: FurtherWork
    reason: str = Field(
        max_length=REASON_MAX, pattern=NO_NUL, description="Why: kept with the decision."
    )
    next_review: dt.date | None = Field(None, description="When to look at the client again.")


class ProposalsIn(Schema):
    client_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1,
        max_length=10_000,
        description="Clients whose pending proposals to decide; others are skipped.",
    )
    note: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)


class ProposalsAcceptedOut(Schema):
    accepted: int = Field(ge=0)
    skipped: list[int] = Field(description="Requested clients without a pending proposal.")
    decisions: list[DecisionOut]


class ProposalsRejectedOut(Schema):
    rejected: int = Field(ge=0)
    skipped: list[int] = Field(description="Requested clients without a pending proposal.")


# --- Key accounts: the department's board, assignments, handovers, workload limits -------------

#: Employee codes as the employees import stores them.
CODE_MAX = 64
#: A code: at least one character, no NUL.
CODE = r"^[^\x00]+$"
#: Handover notes for the receiver: free text, longer than a reason.
NOTES_MAX = 20_000
#: The largest revenue limit (the column keeps 16 digits before the point; a JSON number
#: keeps cents exactly only up to about 10^13).
MAX_REVENUE_LIMIT = 1e13
#: A PositiveIntegerField's largest value.
MAX_COUNT = 2**31 - 1


class BulkRule(enum.StrEnum):
    """How a bulk handover shares the accounts out."""

    ONE = "one"
    SPREAD = "spread"


class KeyClientRefOut(Schema):
    id: int
    code: str
    name: str
    status: ClientStatus = Field(description="The client's status now.")


class LoadOut(Schema):
    accounts: int = Field(ge=0, description="Accounts kept now.")
    revenue_12m: float = Field(description="Their revenue over the last 12 months, in total.")


class LimitOut(Schema):
    max_accounts: int = Field(ge=1)
    max_revenue: float | None = Field(description="Null: no revenue limit.")


class AccountOut(Schema):
    """One account as the department sees it."""

    client: KeyClientRefOut
    since: dt.date | None = Field(description="When the manager became responsible.")
    revenue_12m: float = Field(description="The last 12 months, this month included.")
    revenue_prev_12m: float = Field(description="The 12 months before those.")
    growth_pct: float | None = Field(description="Change against the 12 months before, in %.")
    trend: list[float] = Field(description="Revenue of the last 12 months, oldest first.")
    next_review: dt.date | None = Field(description="From the latest status decision.")
    further_work: FurtherWork | None = Field(description="From the latest status decision.")
    pending_handover_id: int | None = Field(
        description="The handover of this account to this manager, not acknowledged yet."
    )


class ManagerBoardOut(Schema):
    """A column of the board: one key-account manager, their load, limit and accounts."""

    id: int
    code: str
    name: str
    active: bool = Field(description="False: no longer active but still keeps accounts.")
    load: LoadOut
    limit: LimitOut
    over_limit: bool = Field(description="Above the limit of accounts or of revenue.")
    accounts: list[AccountOut] = Field(description="Key accounts first, the largest first.")


class GapOut(Schema):
    """A key account without an active responsible manager of the department."""

    client: KeyClientRefOut
    responsible: EmployeeRefOut | None
    problem: str
    since: dt.date | None = Field(description="When the gap began, as far as history tells.")


class ConflictOut(Schema):
    """A client whose responsible breaks the separation of functions, or whose history
    differs from its responsible."""

    client: KeyClientRefOut
    responsible: EmployeeRefOut | None
    problem: str


class HandoverOut(Schema):
    """A dated change of responsible manager."""

    id: int
    client: ClientRefOut
    from_manager: EmployeeRefOut | None = Field(description="Null: nobody was responsible.")
    to_manager: EmployeeRefOut
    effective: dt.date
    cause: Cause
    reason: str
    notes: str = Field(description="The notes for the receiver.")
    load_before: int = Field(ge=0, description="The receiver's accounts before.")
    limit: int | None = Field(description="The receiver's limit of accounts then.")
    over_limit: bool = Field(description="Assigned above the limit, confirmed.")
    bulk: str | None = Field(description="The bulk handover it was part of.")
    created_by: str | None
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None


class BriefingSectionOut(Schema):
    key: str = Field(description="contacts, receivables, status, to_collect, …")
    title: str
    items: list[dict[str, Any]]


class BriefingOut(Schema):
    """What the receiver takes over, as it was when the handover was recorded."""

    as_of: dt.date | None
    sections: list[BriefingSectionOut]


class HandoverDetailOut(HandoverOut):
    briefing: BriefingOut


class HandoverListOut(Schema):
    count: int = Field(description="Handovers matching the filters (all pages).")
    items: list[HandoverOut]


class BoardOut(Schema):
    """The department at a glance: managers and their accounts, gaps, conflicts, handovers
    waiting for the receiver."""

    as_of: dt.date
    key_accounts: int = Field(ge=0, description="Key accounts kept or in a gap.")
    managers: list[ManagerBoardOut]
    gaps: list[GapOut]
    conflicts: list[ConflictOut]
    pending: list[HandoverOut] = Field(description="Not acknowledged yet, the oldest first.")


class MyAccountsOut(Schema):
    employee: EmployeeRefOut
    load: LoadOut
    limit: LimitOut
    over_limit: bool
    accounts: list[AccountOut] = Field(description="Key accounts first, the largest first.")
    pending: list[HandoverOut] = Field(description="Handovers to acknowledge, oldest first.")


class AssignmentOut(Schema):
    """One stretch of one employee's responsibility for one client: [start, end)."""

    id: int
    client: ClientRefOut
    manager: EmployeeRefOut
    start: dt.date
    end: dt.date | None = Field(description="Null: responsible now.")
    source: Source
    handover_id: int | None
    assigned_by: str | None
    reason: str
    end_reason: str


class AssignmentListOut(Schema):
    count: int = Field(description="Assignments matching the filters (all pages).")
    items: list[AssignmentOut]


class AssignmentFilters(QueryParams):
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this client's.")
    manager_code: str | None = Field(
        None, max_length=CODE_MAX, pattern=NO_NUL, description="Only this employee's."
    )
    open: bool | None = Field(None, description="Current (true) or ended (false) only.")


class HandoverFilters(QueryParams):
    client_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this client's.")
    to_manager_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    from_manager_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    cause: Cause | None = None
    acknowledged: bool | None = Field(None, description="By the receiver (true) or not yet.")


class HandoverIn(Schema):
    client_id: int = Field(ge=1, le=MAX_ID)
    to_manager_code: str = Field(
        min_length=1, max_length=CODE_MAX, pattern=CODE, description="The receiver."
    )
    cause: Cause
    reason: str = Field(
        "",
        max_length=REASON_MAX,
        pattern=NO_NUL,
        description="Kept with the handover; required when the cause is `other`.",
    )
    notes: str = Field("", max_length=NOTES_MAX, pattern=NO_NUL, description="For the receiver.")
    effective: dt.date | None = Field(
        None,
        description="Today or earlier, not before the current responsibility began. "
        "Default: today.",
    )
    expected_from_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Who the caller saw responsible (null: nobody). If the account changed "
        "hands since, nothing is written (409). Leave it out to take whoever is responsible.",
    )
    confirm_over_limit: bool = Field(
        False, description="Assign even if the receiver is at or above their workload limit."
    )


class BulkHandoverIn(Schema):
    from_manager_code: str = Field(min_length=1, max_length=CODE_MAX, pattern=CODE)
    rule: BulkRule = Field(
        description="`one`: every account to the first receiver. `spread`: the largest "
        "accounts first, each to the receiver with the most room under their limit."
    )
    receiver_codes: list[Annotated[str, Field(min_length=1, max_length=CODE_MAX, pattern=CODE)]] = (
        Field(min_length=1, max_length=100)
    )
    client_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None,
        max_length=10_000,
        description="Only these of the manager's accounts (others are skipped). Default: all.",
    )
    cause: Cause
    reason: str = Field("", max_length=REASON_MAX, pattern=NO_NUL)
    notes: str = Field("", max_length=NOTES_MAX, pattern=NO_NUL)
    effective: dt.date | None = None
    confirm_over_limit: bool = False
    dry_run: bool = Field(False, description="Check and show the plan; write nothing.")


class PlannedHandoverOut(Schema):
    client: KeyClientRefOut
    to_manager: EmployeeRefOut
    revenue_12m: float


class ReceiverLoadOut(Schema):
    manager: EmployeeRefOut
    before: LoadOut
    after: LoadOut
    limit: LimitOut
    over_limit_after: bool


class BulkHandoverOut(Schema):
    dry_run: bool
    plan: list[PlannedHandoverOut] = Field(description="Who gets which account.")
    receivers: list[ReceiverLoadOut] = Field(description="Each receiver's load before and after.")
    skipped: list[int] = Field(description="Requested clients the manager does not keep.")
    handovers: list[HandoverOut] = Field(description="Recorded (empty for a dry run).")


class WorkloadLimitIn(Schema):
    manager_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="A key-account manager's own limit; null or absent: the department's default.",
    )
    max_accounts: int = Field(ge=1, le=MAX_COUNT)
    max_revenue: float | None = Field(
        None,
        ge=0,
        le=MAX_REVENUE_LIMIT,
        allow_inf_nan=False,
        description="The accounts' revenue over the last 12 months, in total; null: no limit.",
    )


class DefaultLimitOut(Schema):
    max_accounts: int = Field(ge=1)
    max_revenue: float | None
    set: bool = Field(description="False: nobody has set it; the built-in default applies.")
    updated_by: str | None
    updated_at: dt.datetime | None


class ManagerWorkloadOut(Schema):
    manager: EmployeeRefOut
    active: bool
    own_limit: bool = Field(description="False: the department's default applies.")
    limit: LimitOut
    load: LoadOut
    over_limit: bool


class WorkloadOut(Schema):
    default: DefaultLimitOut
    managers: list[ManagerWorkloadOut]


# --- Development plans: targets, actions, workflow, plan-vs-actual ------------------------------

#: A period code: ``2026-11`` (a month) or ``2026-Q4`` (a quarter), years 2000–2999.
PERIOD_CODE = r"^2\d{3}-(0[1-9]|1[0-2]|Q[1-4])$"
#: A plan's free texts (goal, results summary, comments, descriptions, outcomes).
PLAN_TEXT_MAX = 20_000
#: The largest target a JSON number carries with its cents exactly (the column holds more).
MAX_TARGET = 1e13


class BodyIn(Schema):
    """A request body: a JSON object. (django-ninja's Schema reads attributes of any value, so a
    body of only optional fields would take ``[]`` or ``null`` for ``{}``.)"""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # Schema's own validator has wrapped the value for attribute access by now.
        value = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(value, dict):
            raise ValueError("Expected a JSON object.")
        return data


def _a_number(value: Any) -> Any:
    """JSON numbers only: a string or a boolean is not taken for a number."""
    if isinstance(value, str | bool):
        raise ValueError("Expected a number.")
    return value


def _a_date_text(value: Any) -> Any:
    """JSON strings only: a number is not taken for a date."""
    if not isinstance(value, str | dt.date):
        raise ValueError("Expected a date as YYYY-MM-DD.")
    return value


#: A whole number in a body, as JSON has it.
BodyInt = Annotated[int, BeforeValidator(_a_number)]
#: A date in a body: a YYYY-MM-DD string.
BodyDate = Annotated[dt.date, BeforeValidator(_a_date_text)]


class PlanRowState(enum.StrEnum):
    """A key account's place in a period: its plan's state, or ``missing`` (no plan yet)."""

    DRAFT = PlanState.DRAFT.value
    SUBMITTED = PlanState.SUBMITTED.value
    APPROVED = PlanState.APPROVED.value
    CLOSED = PlanState.CLOSED.value
    MISSING = "missing"


class PeriodOut(Schema):
    code: str = Field(
        pattern=PERIOD_CODE, examples=["2026-11", "2026-Q4"], description="YYYY-MM or YYYY-Qn."
    )
    kind: PeriodKind
    start: dt.date
    end: dt.date
    days: int = Field(ge=28)
    label: str = Field(description="In the caller's language.")


class PlanFilters(QueryParams):
    period: str | None = Field(
        None, pattern=PERIOD_CODE, description="Only plans of this period: `2026-11`, `2026-Q4`."
    )
    state: PlanState | None = None
    client_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)
    owner_code: str | None = Field(
        None, max_length=CODE_MAX, pattern=NO_NUL, description="The plan owner's employee code."
    )


class PlanActionCountsOut(Schema):
    total: int = Field(ge=0)
    done: int = Field(ge=0)
    overdue: int = Field(ge=0, description="Planned and due before today.")


class PlanOut(Schema):
    """A plan in a list: whose, for which period, its state and how it goes."""

    id: int
    client: KeyClientRefOut
    period: PeriodOut
    owner: EmployeeRefOut = Field(description="The account's responsible manager.")
    state: PlanState
    summary: str = Field(description="The goal for the period.")
    light: Light = Field(description="The worst light of the plan's targets.")
    target_count: int = Field(ge=0)
    action_counts: PlanActionCountsOut
    continues_id: int | None = Field(description="The earlier plan this one continues.")
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanListOut(Schema):
    count: int = Field(description="Plans matching the filters (all pages).")
    items: list[PlanOut]


class PlanTargetOut(Schema):
    """A target: its value, the proposal beside it and how it was computed; the result once
    the plan is closed."""

    id: int
    kind: TargetKind
    product_group: str = Field(description="For the revenue of a product group.")
    value: float | None = Field(
        description="Money in the company currency, or a count; null for a qualitative goal."
    )
    description: str
    proposed_value: float | None = Field(description="What the data proposed (null: typed).")
    basis: dict[str, Any] = Field(description="The figures the proposal was computed from.")
    basis_text: str = Field(description="How it was proposed, in the caller's language.")
    position: int = Field(ge=0)
    met: bool | None = Field(description="Set when the plan closes; null while it runs.")
    miss_reason: str = Field(description="Why it was missed (a closed plan).")


class PlanActionOut(Schema):
    id: int
    kind: ActionKind
    title: str
    due: dt.date
    responsible: EmployeeRefOut
    status: ActionStatus
    outcome: str
    done_on: dt.date | None
    overdue: bool = Field(description="Planned and due before today.")
    carried_from_id: int | None = Field(description="The open action of the earlier plan.")
    created_at: dt.datetime
    updated_at: dt.datetime


class PlanEventOut(Schema):
    kind: EventKind
    state_before: PlanState | None = Field(description="Null when the plan was created.")
    state: PlanState
    comment: str
    actor: str | None = Field(description="Who; null for a command or a handover's rule.")
    at: dt.datetime


class TargetActualOut(Schema):
    target_id: int
    kind: TargetKind
    product_group: str
    value: float | None = Field(description="The target.")
    actual: float | None = Field(
        description="What the ledger says so far (the recorded result of a closed plan); null "
        "when not measured or before the period has data."
    )
    forecast: float | None = Field(description="At the pace so far, by the period's end.")
    ratio: float | None = Field(description="Actual as a share of the target.")
    light: Light


class PlanActualsOut(Schema):
    """Plan against actual, read from the ledger now (every import moves it)."""

    plan_id: int
    state: PlanState
    period: PeriodOut
    measured_on: dt.date = Field(description="Today, or the period's end once it is over.")
    data_until: dt.date | None = Field(description="The last sales document imported.")
    elapsed_days: int = Field(ge=0, description="Days of the period the ledger covers.")
    light: Light
    targets: list[TargetActualOut]


class PlanDetailOut(PlanOut):
    """A plan with its targets, actions, history and plan-vs-actual."""

    return_comment: str = Field(description="The approver's comment when last returned.")
    closing_summary: str
    created_by: str | None
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: str | None
    closed_at: dt.datetime | None
    closed_by: str | None
    targets: list[PlanTargetOut] = Field(description="In their order.")
    actions: list[PlanActionOut] = Field(description="By due date.")
    events: list[PlanEventOut] = Field(description="The plan's history, oldest first.")
    actuals: PlanActualsOut


class PlanCreateIn(BodyIn):
    client_code: str = Field(min_length=1, max_length=CODE_MAX, pattern=CODE)
    period: str | None = Field(
        None, pattern=PERIOD_CODE, description="Default: the current period (the setting's kind)."
    )
    continue_previous: bool = Field(
        True,
        strict=True,
        description="Carry the latest earlier plan's targets (today's proposal beside them) and "
        "open actions over.",
    )


class ProposeMissingIn(BodyIn):
    period: str | None = Field(None, pattern=PERIOD_CODE, description="Default: the current one.")


class SkippedAccountOut(Schema):
    client: KeyClientRefOut
    reason: str


class ProposeMissingOut(Schema):
    period: PeriodOut
    created: list[PlanOut]
    skipped: list[SkippedAccountOut] = Field(description="Key accounts without a new plan, why.")


class PlanPatchIn(BodyIn):
    summary: str = Field(max_length=PLAN_TEXT_MAX, pattern=NO_NUL, description="The goal.")


#: A target value: a JSON number, zero or more.
TargetValue = Annotated[float, Field(ge=0, le=MAX_TARGET, allow_inf_nan=False, strict=True)]


class PlanTargetIn(BodyIn):
    kind: TargetKind
    value: TargetValue | None = Field(
        None, description="Required for measured targets; a whole number for counts and days."
    )
    product_group: str = Field(
        "", max_length=255, pattern=NO_NUL, description="For `group_revenue` (required there)."
    )
    description: str = Field(
        "", max_length=PLAN_TEXT_MAX, pattern=NO_NUL, description="Required for `qualitative`."
    )


class PlanTargetPatchIn(BodyIn):
    """Only the fields given change; the kind does not."""

    value: TargetValue | None = None
    product_group: str | None = Field(None, max_length=255, pattern=NO_NUL)
    description: str | None = Field(None, max_length=PLAN_TEXT_MAX, pattern=NO_NUL)


class PlanActionIn(BodyIn):
    kind: ActionKind
    title: str = Field(max_length=255, pattern=NO_NUL)
    due: BodyDate = Field(description="Within a month of the plan's period.")
    responsible_code: str | None = Field(
        None,
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Default: the plan's owner.",
    )


class PlanActionPatchIn(BodyIn):
    """Only the fields given change. The action's responsible employee (not the owner) may
    record `status`, `outcome` and `done_on` only."""

    kind: ActionKind | None = None
    title: str | None = Field(None, max_length=255, pattern=NO_NUL)
    due: BodyDate | None = None
    responsible_code: str | None = Field(None, min_length=1, max_length=CODE_MAX, pattern=CODE)
    status: ActionStatus | None = None
    outcome: str | None = Field(
        None, max_length=PLAN_TEXT_MAX, pattern=NO_NUL, description="Required once done."
    )
    done_on: BodyDate | None = Field(None, description="Default: today, when marked done.")


class PlanCommentIn(BodyIn):
    comment: str = Field("", max_length=PLAN_TEXT_MAX, pattern=NO_NUL)


class PlanReturnIn(BodyIn):
    comment: str = Field(
        max_length=PLAN_TEXT_MAX, pattern=NO_NUL, description="What to rework (required)."
    )


class TargetResultIn(BodyIn):
    target_id: BodyInt = Field(ge=1, le=MAX_ID)
    achieved: bool | None = Field(
        None, strict=True, description="Whether a qualitative goal was achieved."
    )
    reason: str = Field("", max_length=PLAN_TEXT_MAX, pattern=NO_NUL, description="Why missed.")


class PlanCloseIn(BodyIn):
    results: list[TargetResultIn] = Field(
        default_factory=list,
        max_length=1000,
        description="A qualitative goal needs `achieved`, a missed target a `reason`; measured "
        "targets are measured from the ledger.",
    )
    summary: str = Field("", max_length=PLAN_TEXT_MAX, pattern=NO_NUL)


class PlansApproveIn(BodyIn):
    plan_ids: list[Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_a_number)]] = Field(
        min_length=1, max_length=1000
    )
    comment: str = Field("", max_length=PLAN_TEXT_MAX, pattern=NO_NUL)


class RefusedPlanOut(Schema):
    plan_id: int
    reason: str


class PlansApprovedOut(Schema):
    approved: list[PlanOut]
    refused: list[RefusedPlanOut] = Field(description="With the reason (not found included).")


class RevenueFiguresOut(Schema):
    target: float
    actual: float
    forecast: float


class PlanStateCountsOut(Schema):
    draft: int = Field(ge=0)
    submitted: int = Field(ge=0)
    approved: int = Field(ge=0)
    closed: int = Field(ge=0)
    missing: int = Field(ge=0)


class DepartmentPlanRowOut(Schema):
    client: KeyClientRefOut
    state: PlanRowState
    plan_id: int | None
    manager: EmployeeRefOut | None = Field(
        description="The plan's owner, or the account's responsible when the plan is missing."
    )
    light: Light
    revenue: TargetActualOut | None = Field(description="The plan's revenue target, if any.")


class DepartmentPlansOut(Schema):
    """Every key account (and any former one with a plan) × the period."""

    period: PeriodOut
    data_until: dt.date | None
    approve_by: dt.date = Field(description="Every plan is expected to be approved by then.")
    counts: PlanStateCountsOut = Field(description="Accounts by state, before filtering.")
    revenue: RevenueFiguresOut = Field(description="Sums over the rows' revenue targets.")
    rows: list[DepartmentPlanRowOut]


class DepartmentPlanFilters(QueryParams):
    period: str | None = Field(None, pattern=PERIOD_CODE, description="Default: the current one.")
    state: PlanRowState | None = None
    manager_code: str | None = Field(None, max_length=CODE_MAX, pattern=NO_NUL)


class PlanningSettingsOut(Schema):
    period: PeriodKind = Field(description="Plans made from now on cover this period.")
    approve_by_day: int = Field(ge=1, le=28)
    current_period: PeriodOut
    updated_at: dt.datetime


class PlanningSettingsIn(BodyIn):
    period: PeriodKind
    approve_by_day: BodyInt = Field(ge=1, le=28)
