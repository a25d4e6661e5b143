"""What /api/rules accepts and returns: the rulebook (rules, versions, the facts of each kind
of subject, condition checks, dry runs) and the audit's runs.

A rule is its code and subject type; everything else belongs to a version. Parameters are
named JSON numbers; a condition is a SQL boolean expression over the subject's facts.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from typing import TYPE_CHECKING, Annotated, Any

from django.http import QueryDict
from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema

from kam.api.schemas import (
    NO_NUL,
    REASON_MAX,
    BodyDate,
    BodyIn,
    BodyInt,
    QueryParams,
)
from kam.organization.choices import Role
from kam.rules.choices import (
    AuditTrigger,
    HandlerRole,
    RuleKind,
    Severity,
    Subprocess,
    VersionState,
)
from kam.rules.engine import MAX_CONDITION
from kam.rules.facts import subject_types
from kam.rules.filters import SORTS as RULE_SORTS

if TYPE_CHECKING:
    SubjectCode = str
    RuleSort = str
else:
    # The kinds of subject are code (kam.rules.facts): the document lists today's.
    SubjectCode = enum.StrEnum("SubjectCode", {code.upper(): code for code in subject_types()})
    RuleSort = enum.StrEnum(
        "RuleSort",
        {
            **{key.upper(): key for key in RULE_SORTS},
            **{f"{key.upper()}_DESC": f"-{key}" for key in RULE_SORTS},
        },
    )

#: A rule's code as the database keeps it (a slug).
RULE_CODE = r"^[-a-zA-Z0-9_]+$"
RULE_CODE_MAX = 64
#: Texts of a version: titles are one line, descriptions and messages longer.
TITLE_MAX = 255
TEXT_MAX = 20_000
#: A parameter's value: a JSON number small enough to be exact.
PARAMETER_MAX = 1e15
#: The earliest date the audit or a dry run judges the data as of.
MIN_AS_OF = dt.date(2000, 1, 1)


def _a_parameter(value: Any) -> Any:
    """A JSON number, finite and within the bound; an integer stays an integer."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Expected a number.")
    if not math.isfinite(value) or abs(value) > PARAMETER_MAX:
        raise ValueError(f"Expected a number from {-PARAMETER_MAX:g} to {PARAMETER_MAX:g}.")
    return value


ParameterValue = Annotated[
    int | float,
    BeforeValidator(_a_parameter),
    WithJsonSchema({"type": "number", "minimum": -PARAMETER_MAX, "maximum": PARAMETER_MAX}),
]
ParameterName = Annotated[str, Field(min_length=1, max_length=40)]
Parameters = Annotated[
    dict[ParameterName, ParameterValue],
    Field(max_length=40, description='Named numbers the condition uses: `{"grace_days": 14}`.'),
]


# --- The rulebook ------------------------------------------------------------------------------


class RuleFilters(QueryParams):
    """The rulebook page's filters (kam.rules.filters.rule_list); absent means "any"."""

    q: str | None = Field(
        None,
        max_length=100,
        pattern=NO_NUL,
        description="Code, titles or condition contain it, any letter case.",
    )
    subprocess: Subprocess | None = None
    kind: RuleKind | None = None
    subject: SubjectCode | None = Field(None, description="The kind of subject the rule judges.")
    severity: Severity | None = None
    enabled: bool | None = Field(None, description="Switched on (true) or off (false).")
    sort: RuleSort | None = Field(
        None, description="Sort key; `-` sorts descending. Default: by sales subprocess."
    )

    def as_params(self) -> QueryDict:
        """The list's parameters, as the page's query string gives them."""
        params = QueryDict(mutable=True)
        for name, value in self.model_dump(exclude_none=True).items():
            if isinstance(value, bool):
                value = "yes" if value else "no"
            params[name] = str(value)
        return params


class RuleVersionOut(Schema):
    """One version of a rule: what it says, how it is checked and what follows a breach."""

    number: int = Field(ge=1)
    state: VersionState
    title: str = Field(description="In the caller's language (the other if that one is empty).")
    title_ru: str
    title_en: str
    description_ru: str
    description_en: str
    message_ru: str = Field(description="Shown when broken; {fact} and {parameter} filled in.")
    message_en: str
    subprocess: Subprocess
    kind: RuleKind
    parameters: dict[str, Any]
    condition: str = Field(description="SQL over the subject's facts, true when broken.")
    severity: Severity
    violator: str = Field(description="Which of the subject's people answers (empty: the first).")
    period: str = Field(description="The subject's period an incident counts in (empty: first).")
    handler_role: HandlerRole
    response_days: int = Field(ge=0)
    default_sanction: str | None = Field(description="The catalogue code; null: none.")
    override_roles: list[str] = Field(description="Roles that may let a refused action through.")
    notes: str = Field(description="What changed in this version.")
    written_at: dt.datetime
    enabled_at: dt.datetime | None
    retired_at: dt.datetime | None


class RuleVersionDetailOut(RuleVersionOut):
    written_by: str | None
    enabled_by: str | None
    dry_run: dict[str, Any] | None = Field(
        description="The latest dry run's figures (see the dry-run operation); null: none yet."
    )


class RuleCountsOut(Schema):
    active_incidents: int = Field(ge=0, description="Open, under investigation or decided.")
    incidents: int = Field(ge=0, description="Every incident the rule ever opened.")
    closed_incidents: int = Field(ge=0)
    dismissed_incidents: int = Field(ge=0, description="False alarms.")
    false_alarm_rate: float | None = Field(
        description="Dismissed ÷ judged (closed or dismissed) incidents; null: none judged."
    )
    active_notices: int = Field(ge=0, description="Breaches of a recommendation not cleared.")
    last_audit_violations: int | None = Field(
        description="What the latest audit that judged the rule found; null: not audited yet."
    )


class RuleOut(Schema):
    """A rule of the rulebook with its text and figures."""

    code: str
    subject_type: str
    subject_label: str
    enabled: bool
    enabled_version: int | None = Field(description="Null: the rule is switched off.")
    latest_version: int = Field(ge=1)
    drafts: int = Field(ge=0, description="Versions written and not enabled yet.")
    version: RuleVersionOut = Field(
        description="The enabled version, or the latest one when the rule is switched off."
    )
    counts: RuleCountsOut


class RuleListOut(Schema):
    count: int = Field(description="Rules matching the filters (all pages).")
    items: list[RuleOut]


class RuleDetailOut(RuleOut):
    created_by: str | None
    created_at: dt.datetime
    versions: list[RuleVersionDetailOut] = Field(description="Every version, the latest first.")


class VersionIn(BodyIn):
    """What a version says. Refusals name the field (422)."""

    title_ru: str = Field(
        max_length=TITLE_MAX, pattern=NO_NUL, examples=["Отсрочка не длиннее 60 дней"]
    )
    title_en: str = Field(
        max_length=TITLE_MAX, pattern=NO_NUL, examples=["Deferred payment of 60 days at most"]
    )
    subprocess: Subprocess
    kind: RuleKind
    condition: str = Field(
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        description=f"A SQL boolean expression over the subject's facts and the parameters, "
        f"true when the rule is broken (at most {MAX_CONDITION} characters).",
        examples=["payment_terms_days > max_days"],
    )
    description_ru: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)
    description_en: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL)
    message_ru: str = Field(
        "",
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        description="Shown at a guard and on the incident: {fact} and {parameter} filled in.",
    )
    message_en: str = Field(
        "",
        max_length=TEXT_MAX,
        pattern=NO_NUL,
        examples=["{payment_terms_days} days of deferred payment (at most {max_days})."],
    )
    parameters: Parameters = Field(default_factory=dict, examples=[{"max_days": 60}])
    severity: Severity = Severity.MEDIUM
    violator: str = Field(
        "",
        max_length=32,
        pattern=NO_NUL,
        description="One of the subject type's people (empty: the first).",
    )
    period: str = Field(
        "",
        max_length=32,
        pattern=NO_NUL,
        description="One of the subject type's periods (empty: the first).",
    )
    handler_role: HandlerRole = HandlerRole.DEPARTMENT_HEAD
    response_days: BodyInt = Field(5, ge=1, le=90, description="Days to decide an incident.")
    default_sanction: str | None = Field(
        None,
        max_length=32,
        pattern=NO_NUL,
        description="A code of the sanction catalogue.",
        examples=["warning"],
    )
    override_roles: list[Role] = Field(
        default_factory=list,
        max_length=len(Role.values),
        description="Roles that may let a refused action through with a reason (mandatory "
        "rules only).",
    )
    notes: str = Field("", max_length=TEXT_MAX, pattern=NO_NUL, description="What changed.")


class RuleCreateIn(VersionIn):
    code: str = Field(
        max_length=RULE_CODE_MAX,
        pattern=NO_NUL,
        description="3 to 64 small Latin letters, digits and underscores, starting with a "
        "letter; it never changes.",
        examples=["deferred_payment_requires_credit_approval"],
    )
    subject_type: SubjectCode = Field(description="What the rule judges: one row per subject.")


class RuleDisableIn(BodyIn):
    reason: str = Field(
        max_length=REASON_MAX,
        pattern=NO_NUL,
        description="Why (required).",
        examples=["Replaced by the credit limit rule"],
    )


class FactOut(Schema):
    name: str
    type: str = Field(description="integer, number, boolean, text or date.")
    type_label: str
    description: str
    example: str


class NamedColumnOut(Schema):
    name: str
    label: str


class SubjectTypeOut(Schema):
    """A kind of subject: its facts (what conditions may name), its people (who answers for a
    breach) and its periods (what an incident counts in)."""

    code: str
    label: str
    description: str
    people: list[NamedColumnOut]
    periods: list[NamedColumnOut]
    facts: list[FactOut]


class ConditionCheckIn(BodyIn):
    subject_type: SubjectCode
    condition: str = Field(
        max_length=TEXT_MAX, pattern=NO_NUL, examples=["payment_terms_days > max_days"]
    )
    parameters: Parameters = Field(default_factory=dict, examples=[{"max_days": 60}])


class ConditionCheckOut(Schema):
    ok: bool = Field(description="The condition can be saved.")
    message: str = Field(description="Why not, in the caller's language; empty when ok.")


class DryRunIn(BodyIn):
    as_of: BodyDate | None = Field(None, description="Judge the data up to this day (today).")
    since: BodyDate | None = Field(
        None, description="Only subjects dated this day or later (24 months before as_of)."
    )


class DryRunMonthOut(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    subjects: int = Field(ge=0)
    violations: int = Field(ge=0, description="What this version finds.")
    enabled_violations: int = Field(ge=0, description="What the enabled version finds.")


class DryRunSampleOut(Schema):
    subject_key: str
    subject_date: dt.date | None
    client_id: int | None
    message: str
    facts: dict[str, Any]


class DryRunOut(Schema):
    """What the version would have found over the history, beside the enabled version."""

    as_of: dt.date
    since: dt.date
    subjects: int = Field(ge=0)
    violations: int = Field(ge=0)
    enabled_version: int | None = Field(description="Null: no other version is enabled.")
    enabled_violations: int | None
    only_new: int | None = Field(description="Found by this version only.")
    only_enabled: int | None = Field(description="Found by the enabled version only.")
    months: list[DryRunMonthOut]
    samples: list[DryRunSampleOut] = Field(description="The first 10 breaches found.")
    seconds: float
    run_at: dt.datetime


# --- The audit ---------------------------------------------------------------------------------


class AuditRunIn(BodyIn):
    as_of: BodyDate | None = Field(None, description="Judge the data up to this day (today).")
    since: BodyDate | None = Field(
        None, description="Only subjects dated this day or later (documents, plans …)."
    )
    rule: str | None = Field(
        None,
        max_length=RULE_CODE_MAX,
        pattern=NO_NUL,
        description="Only this rule (its code); null: every enabled rule.",
    )


class AuditFiguresOut(Schema):
    """What one audit found and did."""

    as_of: dt.date
    since: dt.date | None
    rules: int = Field(ge=0, description="Enabled rules evaluated.")
    subjects: int = Field(ge=0, description="Subjects judged (over every kind).")
    violations: int = Field(ge=0, description="Breaches found, of mandatory rules and not.")
    incidents_opened: int = Field(ge=0, description="New incidents.")
    already_open: int = Field(ge=0, description="Breaches whose incident is still active.")
    already_closed: int = Field(ge=0, description="Breaches whose incident is closed.")
    notices: int = Field(ge=0, description="Breaches of recommendations recorded by this run.")
    cleared: int = Field(ge=0, description="Active incidents whose breach has gone.")
    recurred: int = Field(ge=0, description="Cleared incidents whose breach came back.")
    escalated: int = Field(ge=0, description="Undecided incidents past their deadline.")
    by_rule: dict[str, int] = Field(description="Breaches per rule code.")
    seconds: float


class AuditResultOut(AuditFiguresOut):
    """The figures `kam audit --json` prints."""

    audit_run: int = Field(description="The run's id.")


class AuditRunOut(Schema):
    id: int
    as_of: dt.date
    since: dt.date | None
    rule: str | None = Field(description="The one rule run; null: every enabled rule.")
    trigger: AuditTrigger
    run_by: str | None = Field(description="Null: the command line or the scheduler.")
    started_at: dt.datetime
    finished_at: dt.datetime | None = Field(description="Null: still running (or it failed).")
    figures: AuditFiguresOut | None = Field(description="Null until it has finished.")


class AuditRunListOut(Schema):
    count: int
    items: list[AuditRunOut]
