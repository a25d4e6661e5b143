"""What the API accepts and returns: explicit types, so the OpenAPI document is a contract.

Money is a JSON number in the company currency (net of VAT), as the client card shows it.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict

from kam.assessment.choices import Cell, Change, CycleState, FurtherWork, Review
from kam.clients.choices import ClientStatus
from kam.imports.models import ImportKind
from kam.keyaccounts.choices import Cause, Source
from kam.organization.choices import DepartmentKind, Role

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
