"""What /api/incidents accepts and returns: incidents (ЧП) with their story, the lifecycle's
steps, the discipline scorecard and the catalogue of sanctions.

Money is a JSON number in the company currency, as everywhere in the API.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import TYPE_CHECKING, Annotated, Any

from django.http import QueryDict
from ninja import Field, Schema
from pydantic import BeforeValidator

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
from kam.incidents.choices import EventKind, IncidentKind, IncidentState, Measure
from kam.incidents.filters import SORTS as INCIDENT_SORTS
from kam.incidents.selectors import TABS
from kam.organization.choices import DepartmentKind
from kam.rules.choices import HandlerRole, Severity, Subprocess

if TYPE_CHECKING:
    IncidentTab = str
    IncidentSort = str
    IncidentEventKind = EventKind
else:
    # The OpenAPI document keys its schemas by name: the plans have an EventKind of their own.
    IncidentEventKind = enum.StrEnum("IncidentEventKind", {k.name: k.value for k in EventKind})
    IncidentTab = enum.StrEnum("IncidentTab", {tab.upper(): tab for tab in TABS})
    IncidentSort = enum.StrEnum(
        "IncidentSort",
        {
            **{key.upper(): key for key in INCIDENT_SORTS},
            **{f"{key.upper()}_DESC": f"-{key}" for key in INCIDENT_SORTS},
        },
    )

#: A month as the scorecard's range gives it.
MONTH = r"^2\d{3}-(0[1-9]|1[0-2])$"
#: Free texts of an incident (explanations, conclusions, outcomes).
TEXT_MAX = 20_000
#: The largest fine: a JSON number keeps cents exactly up to about 10^13.
MAX_AMOUNT = 1e13
SANCTION_CODE = r"^[-a-zA-Z0-9_]+$"
SANCTION_CODE_MAX = 32


def _iso_date(value: Any) -> Any:
    """YYYY-MM-DD only: a bare number is not taken for a day of 1970."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Expected a date as YYYY-MM-DD.")
    return value


QueryDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class IncidentFilters(QueryParams):
    """The inbox's tab, sort and filters (IncidentFilterSet); absent means "any"."""

    tab: IncidentTab | None = Field(
        None,
        description="handle: active incidents the caller handles; mine: naming the caller as "
        "the violator; department: of the departments the caller heads; all (default): every "
        "incident the caller may read.",
    )
    sort: IncidentSort | None = Field(
        None, description="Sort key; `-` sorts descending. Default: the latest opened first."
    )
    q: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="Number (ЧП-000012 or 12), subject, rule code, violator or client name.",
    )
    state: list[IncidentState] | None = Field(None, description="Any of these states.")
    active: bool | None = Field(None, description="Open, under investigation or decided.")
    overdue: bool | None = Field(None, description="Undecided past the deadline.")
    rule: str | None = Field(None, max_length=64, pattern=NO_NUL, description="A rule's code.")
    subprocess: Subprocess | None = None
    severity: Severity | None = None
    kind: IncidentKind | None = None
    violator: int | None = Field(None, ge=1, le=MAX_ID, description="An employee's id.")
    handler: int | None = Field(None, ge=1, le=MAX_ID, description="An employee's id.")
    department: DepartmentKind | None = Field(None, description="The violator's department.")
    client: int | None = Field(None, ge=1, le=MAX_ID, description="A client's id.")
    opened_from: QueryDate | None = Field(None, description="Opened this day or later.")
    opened_to: QueryDate | None = Field(None, description="Opened this day or earlier.")

    def as_params(self) -> QueryDict:
        """The filter set's parameters, as the inbox's query string gives them."""
        params = QueryDict(mutable=True)
        values = self.model_dump(exclude_none=True, exclude={"tab", "sort"})
        for name, value in values.items():
            if isinstance(value, list):
                params.setlist(name, [str(v) for v in value])
            elif isinstance(value, bool):
                params[name] = "true" if value else "false"
            else:
                params[name] = str(value)
        return params


class RuleRefOut(Schema):
    code: str
    title: str = Field(description="The title of the version that found the incident.")
    version: int = Field(ge=1, description="The version that found the incident.")


class DepartmentRefOut(Schema):
    kind: DepartmentKind
    name: str


class IncidentOut(Schema):
    """An incident in a list: what was broken, by whom, who handles it, where it stands."""

    id: int
    number: str = Field(examples=["ЧП-000012"])
    rule: RuleRefOut
    kind: IncidentKind = Field(description="Found by the audit, or a guard overridden.")
    state: IncidentState
    severity: Severity
    subprocess: Subprocess
    subject_type: str
    subject_id: int | None
    subject_key: str = Field(description="What users call the subject: a document number, a code.")
    period: str = Field(description="The period the incident counts in (one per rule and subject).")
    subject_date: dt.date | None
    client: ClientRefOut | None
    violator: EmployeeRefOut | None
    department: DepartmentRefOut | None = Field(description="The violator's, when opened.")
    handler: EmployeeRefOut | None
    handler_role: HandlerRole
    message: str = Field(description="The rule's message with the facts filled in.")
    opened_at: dt.datetime
    deadline: dt.date = Field(description="To be decided by.")
    overdue: bool = Field(description="Undecided past the deadline.")
    escalated_at: dt.datetime | None
    condition_cleared_at: dt.datetime | None = Field(
        description="When an audit found the breach gone (null: still there)."
    )
    closed_at: dt.datetime | None


class IncidentListOut(Schema):
    count: int = Field(description="Incidents matching the tab and filters (all pages).")
    tab_counts: dict[str, int] = Field(description="Active incidents per tab (the badges).")
    items: list[IncidentOut]


class IncidentEventOut(Schema):
    kind: IncidentEventKind
    state_before: IncidentState | None
    state: IncidentState
    text: str
    data: dict[str, Any]
    actor: str | None = Field(description="The user; null for the audit or a command.")
    actor_label: str
    at: dt.datetime


class SanctionKindRefOut(Schema):
    code: str
    name: str
    measure: Measure


class SanctionOut(Schema):
    kind: SanctionKindRefOut
    employee: EmployeeRefOut | None
    amount: float | None = Field(description="A fine's amount.")
    percent: float | None = Field(description="A bonus reduction.")
    text: str = Field(description="The sanction as the card shows it.")
    comment: str
    decided_by: str | None
    decided_at: dt.datetime


class CorrectiveActionOut(Schema):
    id: int
    description: str
    owner: EmployeeRefOut
    due: dt.date
    done_on: dt.date | None
    outcome: str
    done_by: str | None
    overdue: bool = Field(description="Not done and due before today.")


class IncidentDetailOut(IncidentOut):
    """An incident with its facts, the investigation and its whole story."""

    facts: dict[str, Any] = Field(description="The subject's facts when the breach was found.")
    rule_description: str
    default_sanction: str | None = Field(description="The rule's default, a catalogue code.")
    audit_run_id: int | None
    overridden_by: str | None
    override_reason: str
    explanation: str = Field(description="The violator's.")
    explained_at: dt.datetime | None
    decision: str = Field(description="The handler's conclusion.")
    decided_at: dt.datetime | None
    decided_by: str | None
    dismissed_reason: str
    closed_by: str | None
    may_explain: bool = Field(description="The caller is the violator and may explain.")
    may_handle: bool = Field(description="The caller may investigate, decide, close, dismiss.")
    events: list[IncidentEventOut] = Field(description="The story, oldest first.")
    sanctions: list[SanctionOut]
    corrective_actions: list[CorrectiveActionOut]


class ExplainIn(BodyIn):
    explanation: str = Field(max_length=TEXT_MAX, pattern=NO_NUL, description="What happened, why.")


class CommentIn(BodyIn):
    text: str = Field(max_length=TEXT_MAX, pattern=NO_NUL)


class OptionalCommentIn(BodyIn):
    comment: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)


class CorrectiveActionIn(BodyIn):
    description: str = Field(
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        description="What is to be done.",
        examples=["Ask the credit committee before any deferred sale"],
    )
    owner_code: str = Field(
        min_length=1,
        max_length=CODE_MAX,
        pattern=CODE,
        description="Who does it (employee).",
        examples=["E0008"],
    )
    due: BodyDate


#: A fine's amount and a bonus reduction's percent: JSON numbers, zero or more.
FineAmount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False, strict=True)]
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, strict=True)]


class DecideIn(BodyIn):
    conclusion: str = Field(
        max_length=TEXT_MAX, pattern=NO_NUL, examples=["Shipped before the committee decided."]
    )
    sanction_code: str = Field(
        max_length=SANCTION_CODE_MAX,
        pattern=NO_NUL,
        description="From the catalogue (`none`: explained and justified).",
        examples=["warning"],
    )
    amount: FineAmount | None = Field(None, description="Required for a fine.", examples=[None])
    percent: Percent | None = Field(
        None, description="Required for a bonus reduction: above 0 up to 100.", examples=[None]
    )
    sanction_comment: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)
    actions: list[CorrectiveActionIn] = Field(
        max_length=100, description="At least one corrective action."
    )


class ActionDoneIn(BodyIn):
    outcome: str = Field(max_length=TEXT_MAX, pattern=NO_NUL, description="What was done.")
    done_on: BodyDate | None = Field(None, description="Default: today; not in the future.")


class DismissIn(BodyIn):
    reason: str = Field(
        max_length=REASON_MAX, pattern=NO_NUL, description="Why this is a false alarm."
    )


# --- The scorecard -----------------------------------------------------------------------------


class ScorecardFilters(QueryParams):
    month_from: str | None = Field(
        None, pattern=MONTH, description="Incidents opened this month or later: `2026-01`."
    )
    month_to: str | None = Field(
        None, pattern=MONTH, description="… up to this month; default: this month."
    )


class EmployeeCountOut(Schema):
    employee_id: int | None
    name: str
    code: str
    total: int = Field(ge=0)
    active: int = Field(ge=0)
    repeats: int = Field(ge=0, description="Incidents beyond the first of the same rule.")


class RuleCountOut(Schema):
    rule: str
    total: int = Field(ge=0)
    closed: int = Field(ge=0)
    dismissed: int = Field(ge=0)
    false_alarm_rate: float | None = Field(description="Dismissed ÷ (closed + dismissed).")


class DepartmentCountOut(Schema):
    department: DepartmentKind | None
    total: int = Field(ge=0)


class SubprocessCountOut(Schema):
    subprocess: Subprocess
    total: int = Field(ge=0)


class MonthCountOut(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    total: int = Field(ge=0)
    acquisition: int = Field(0, ge=0)
    deal: int = Field(0, ge=0)
    retention: int = Field(0, ge=0)
    fulfilment: int = Field(0, ge=0)


class RepeatOut(Schema):
    employee_id: int | None
    name: str
    rule: str
    incidents: int = Field(ge=2)


class SanctionCountOut(Schema):
    code: str
    count: int = Field(ge=0)


class ScorecardOut(Schema):
    """Incidents counted every way the director asks (within what the caller may read)."""

    month_from: str
    month_to: str
    total: int = Field(ge=0)
    active: int = Field(ge=0)
    overdue: int = Field(ge=0)
    closed: int = Field(ge=0)
    dismissed: int = Field(ge=0)
    median_days_to_close: float | None
    by_employee: list[EmployeeCountOut] = Field(description="The violators, most first.")
    by_department: list[DepartmentCountOut]
    by_rule: list[RuleCountOut]
    by_subprocess: list[SubprocessCountOut]
    by_month: list[MonthCountOut] = Field(description="By the month opened, per subprocess.")
    repeats: list[RepeatOut] = Field(description="Employees breaking one rule more than once.")
    sanctions: list[SanctionCountOut]


# --- The catalogue of sanctions ----------------------------------------------------------------


class SanctionKindOut(Schema):
    code: str
    name: str = Field(description="In the caller's language.")
    name_ru: str
    name_en: str
    measure: Measure = Field(description="What it carries besides its name.")
    is_sanction: bool = Field(description="False for “no sanction”.")
    is_active: bool = Field(description="Offered when deciding.")
    position: int = Field(ge=0)


class SanctionKindIn(BodyIn):
    code: str = Field(
        min_length=1,
        max_length=SANCTION_CODE_MAX,
        pattern=SANCTION_CODE,
        description="Never changes.",
    )
    name_ru: str = Field(max_length=120, pattern=NO_NUL)
    name_en: str = Field(max_length=120, pattern=NO_NUL)
    measure: Measure = Measure.NONE
    is_sanction: bool = Field(True, strict=True)
    position: BodyInt = Field(0, ge=0, le=32767)
    is_active: bool = Field(True, strict=True)


class SanctionKindPatchIn(BodyIn):
    """Only the fields given change; the code never does."""

    name_ru: str | None = Field(None, max_length=120, pattern=NO_NUL)
    name_en: str | None = Field(None, max_length=120, pattern=NO_NUL)
    measure: Measure | None = Field(None, description="Not once a decision applied the sanction.")
    is_sanction: bool | None = Field(None, strict=True)
    position: BodyInt | None = Field(None, ge=0, le=32767)
    is_active: bool | None = Field(None, strict=True, description="False: no longer offered.")
