"""Conditions: checked when a rule is saved (syntax, names, types), evaluated the same way for
the audit (every subject at once) and a guard (one subject), with empty facts undecided."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.rules.engine import ConditionError, check_condition, evaluate
from kam.rules.facts import subject_type
from kam.rules.rulebook import load

SALES = subject_type("sales_document")
RULES = {r["code"]: r for r in load()["rules"]}


def test_a_valid_condition_passes() -> None:
    check_condition(SALES, "payment_terms_days > max_days AND NOT is_return", {"max_days": 30})


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("payment_terms_days >", "does not parse"),
        ("payment_terms_days > 0;", "does not parse"),
        ("payment_terms_dayz > 0", "Unknown fact or parameter 'payment_terms_dayz'. Did you mean"),
        ("subject_id > 0", "Unknown fact or parameter 'subject_id'"),
        ("payment_terms_days + 1", "must be true or false"),
        ("", "Write the condition"),
        ("client_status > 5", "cannot be evaluated"),
    ],
)
def test_a_bad_condition_is_refused_with_the_reason(condition: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace(".", r"\.")):
        check_condition(SALES, condition, {})


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Grace": 1}, "small Latin letters"),
        ({"amount": 1}, "name of a fact"),
        ({"grace": "14"}, "must be a number"),
        ({"grace": True}, "must be a number"),
        ([1, 2], "named numbers"),
    ],
)
def test_bad_parameters_are_refused(parameters: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        check_condition(SALES, "amount > 0", parameters)


def test_every_seeded_condition_is_valid_over_its_subjects_facts() -> None:
    for code, rule in RULES.items():
        kind = subject_type(rule["subject_type"])
        check_condition(kind, rule["condition"], rule.get("parameters", {}))
        people = [c.name for c in kind.people]
        periods = [c.name for c in kind.periods]
        assert not rule.get("violator") or rule["violator"] in people, code
        assert not rule.get("period") or rule["period"] in periods, code


def test_an_undecidable_row_is_no_breach() -> None:
    frame = SALES.empty().vstack(
        pl.DataFrame(
            [{"payment_terms_days": 30, "has_valid_credit_decision": True}],
            schema=SALES.schema(),
        )
    )
    broken = evaluate(SALES, frame, "credit_max_terms_days < payment_terms_days", {})
    assert broken.to_list() == [False]


# --- Guards and audits agree (property) ------------------------------------------------------

VALUES: dict[str, Any] = {
    "integer": st.one_of(st.none(), st.integers(-5, 120)),
    "number": st.one_of(st.none(), st.floats(-1e6, 1e7, allow_nan=False)),
    "boolean": st.one_of(st.none(), st.booleans()),
    "text": st.one_of(
        st.none(), st.sampled_from(["key", "potential_key", "standard", "sales", ""])
    ),
    "date": st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
}
ROW = st.fixed_dictionaries({f.name: VALUES[f.type] for f in SALES.facts})


def _gt(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a > b


def _and(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def reference(code: str, row: dict[str, Any], parameters: dict[str, Any]) -> bool:
    """The seeded sales rules written out in Python with SQL's three-valued logic."""
    terms = row["payment_terms_days"]
    deferred = _gt(terms, 0)
    if code == "deferred_payment_requires_credit_approval":
        result = _and(
            deferred,
            _or(_not(row["has_valid_credit_decision"]), _gt(terms, row["credit_max_terms_days"])),
        )
    elif code == "credit_limit_exceeded":
        result = _and(
            deferred, row["has_valid_credit_decision"], _gt(row["exposure"], row["credit_limit"])
        )
    else:
        result = _and(deferred, _gt(row["client_overdue_days"], parameters["max_overdue_days"]))
    return result is True


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={f.name: SALES.schema()[f.name] for f in SALES.facts})


@settings(max_examples=200, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=25))
def test_the_audit_and_a_guard_judge_every_row_alike(rows: list[dict[str, Any]]) -> None:
    frame = _frame(rows)
    for code, rule in RULES.items():
        if rule["subject_type"] != "sales_document":
            continue
        parameters = rule.get("parameters", {})
        audit = evaluate(SALES, frame, rule["condition"], parameters).to_list()
        guard = [
            evaluate(SALES, _frame([row]), rule["condition"], parameters).item() for row in rows
        ]
        assert audit == guard, code
        assert audit == [reference(code, row, parameters) for row in rows], code
