"""Evaluating a rule's condition: a SQL boolean expression over a frame of facts (Polars).

One function evaluates for the audit (every subject at once) and for a guard (the rows of a
proposed change), so the two cannot disagree. A condition that cannot be decided for lack of
data (a comparison with an empty fact) is not a breach; ``COALESCE`` decides otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl
from django.utils.translation import gettext as _

from kam.rules.facts import FRAME_COLUMNS, SubjectType

PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CONDITION = 4000


class ConditionError(ValueError):
    """The condition cannot be used; the message says why, in the reader's language."""


def parameter_problems(subject: SubjectType, parameters: Any) -> list[str]:
    """What is wrong with a rule's parameters: names, values, clashes with facts."""
    if not isinstance(parameters, dict):
        return [_('Parameters are named numbers, e.g. {"grace_days": 14}.')]
    problems = []
    for name, value in parameters.items():
        if not isinstance(name, str) or not PARAMETER_NAME.match(name):
            problems.append(
                _(
                    "Parameter name %(name)r: small Latin letters, digits and underscores, "
                    "starting with a letter."
                )
                % {"name": name}
            )
        elif name in subject.fact_names or name in subject.schema():
            problems.append(
                _("Parameter %(name)r has the name of a fact of this subject.") % {"name": name}
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(
                _("Parameter %(name)r must be a number, not %(value)r.")
                % {"name": name, "value": value}
            )
    return problems


def _parameter_columns(parameters: dict[str, Any]) -> list[pl.Expr]:
    return [pl.lit(value).alias(name) for name, value in parameters.items()]


def facts_frame(subject: SubjectType, frame: pl.DataFrame) -> pl.DataFrame:
    """Only the facts: a condition cannot reach ids or people."""
    return frame.select([f.name for f in subject.facts])


def compile_condition(condition: str) -> pl.Expr:
    condition = (condition or "").strip()
    if not condition:
        raise ConditionError(_("Write the condition under which the rule is broken."))
    if len(condition) > MAX_CONDITION:
        raise ConditionError(
            _("The condition is longer than %(n)s characters.") % {"n": MAX_CONDITION}
        )
    try:
        return pl.sql_expr(condition)
    except Exception as error:  # Polars raises several kinds for bad SQL
        raise ConditionError(
            _("The condition does not parse: %(error)s") % {"error": error}
        ) from error


def _explain(error: Exception) -> str:
    text = str(error)
    missing = re.search(r'unable to find column "([^"]+)"', text)
    if missing:
        suggestion = re.search(r'Did you mean "([^"]+)"\?', text)
        message = _("Unknown fact or parameter %(name)r.") % {"name": missing.group(1)}
        if suggestion:
            message += " " + _("Did you mean %(name)r?") % {"name": suggestion.group(1)}
        return message
    return _("The condition cannot be evaluated: %(error)s") % {"error": text.splitlines()[0]}


def check_condition(subject: SubjectType, condition: str, parameters: dict[str, Any]) -> None:
    """Raise ConditionError unless ``condition`` is a boolean expression over the subject's
    facts and the parameters. It is evaluated on a row of empty facts, so names and types
    are checked, not only the syntax."""
    problems = parameter_problems(subject, parameters)
    if problems:
        raise ConditionError(" ".join(problems))
    expression = compile_condition(condition)
    row = pl.DataFrame(
        [{f.name: None for f in subject.facts}], schema=facts_frame(subject, subject.empty()).schema
    )
    try:
        result = row.with_columns(_parameter_columns(parameters)).select(expression.alias("_r"))
    except Exception as error:
        raise ConditionError(_explain(error)) from error
    if result.schema["_r"] != pl.Boolean:
        raise ConditionError(
            _("The condition must be true or false; this one gives a %(type)s.")
            % {"type": result.schema["_r"]}
        )


def evaluate(
    subject: SubjectType, frame: pl.DataFrame, condition: str, parameters: dict[str, Any]
) -> pl.Series:
    """True for every row of ``frame`` that breaks the rule (an undecidable row is not)."""
    if frame.is_empty():
        return pl.Series("broken", [], dtype=pl.Boolean)
    expression = compile_condition(condition)
    try:
        result = (
            facts_frame(subject, frame)
            .with_columns(_parameter_columns(parameters))
            .select(expression.fill_null(False).alias("broken"))
        )
    except Exception as error:
        raise ConditionError(_explain(error)) from error
    return result.to_series().cast(pl.Boolean)


def row_facts(subject: SubjectType, row: dict[str, Any]) -> dict[str, Any]:
    """A subject's facts as JSON-safe values (dates as ISO text), for incidents and pages."""
    out: dict[str, Any] = {}
    for fact in subject.facts:
        value = row.get(fact.name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, float):
            value = round(value, 2)
        out[fact.name] = value
    for name in ("subject_key",):
        out[name] = row.get(name)
    return out


def _round2(values: pl.Series) -> pl.Series:
    """``round(value, 2)`` of every value, as Python rounds (a float's exact value, ties to
    even): Polars agrees except on near-ties, which are redone in Python."""
    rounded = values.round(2)
    scaled = values * 100
    near_tie = ((scaled - scaled.floor()) - 0.5).abs() < 1e-6
    if near_tie.any():
        at = near_tie.fill_null(False).arg_true()
        fixed = [None if v is None else round(v, 2) for v in values.gather(at).to_list()]
        rounded = rounded.scatter(at, fixed)
    return rounded


def facts_json(subject: SubjectType, rows: pl.DataFrame) -> pl.Series:
    """``row_facts`` of every row as JSON text, computed on the whole frame at once (the
    audit stores the facts of a few hundred thousand breaches)."""
    fields: list[pl.Expr | pl.Series] = []
    for fact in subject.facts:
        column = rows[fact.name]
        if column.dtype == pl.Date:
            fields.append(column.dt.strftime("%Y-%m-%d").alias(fact.name))
        elif column.dtype == pl.Float64:
            fields.append(_round2(column).alias(fact.name))
        else:
            fields.append(column)
    fields.append(rows["subject_key"])
    return pl.select(pl.struct(fields).struct.json_encode().alias("facts")).to_series()


__all__ = [
    "FRAME_COLUMNS",
    "ConditionError",
    "check_condition",
    "compile_condition",
    "evaluate",
    "facts_json",
    "parameter_problems",
    "row_facts",
]
