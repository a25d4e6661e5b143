"""Facts: what the rulebook knows about each kind of subject, computed as Polars frames.

Facts are code (a rule's condition is data over them). Each subject type names its facts
(name, type, description), the people a breach can be laid at (the violator's candidates) and
the periods an incident can be counted in, and computes one frame with a row per subject:

- ``_row`` (the row's position), ``subject_id``, ``subject_key`` (the natural key users know:
  a document number, a client code), ``subject_date`` (when it happened; the dry run counts by
  its month), ``client_id`` (the client concerned, if any);
- one ``Int64`` column per person (an employee id), one ``String`` column per period;
- the facts, in their declared types.

The audit computes the frame of every subject up to a date; a guard computes the same frame
for the rows of a proposed change (``SubjectType.proposed``), through the same ``derive``, so
the two cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

#: Fact types → the frame's column type.
FACT_TYPES: dict[str, Any] = {
    "integer": pl.Int64,
    "number": pl.Float64,
    "boolean": pl.Boolean,
    "text": pl.String,
    "date": pl.Date,
}
FACT_TYPE_LABELS: dict[str, Promise] = {
    "integer": _("whole number"),
    "number": _("number"),
    "boolean": _("true / false"),
    "text": _("text"),
    "date": _("date"),
}
#: Columns every frame has besides people, periods and facts.
FRAME_COLUMNS: dict[str, Any] = {
    "_row": pl.Int64,
    "subject_id": pl.Int64,
    "subject_key": pl.String,
    "subject_date": pl.Date,
    "client_id": pl.Int64,
}


@dataclass(frozen=True)
class Fact:
    name: str
    type: str
    description: Promise | str
    example: str = ""  # a value shown in the catalogue ("'key'", "30")


@dataclass(frozen=True)
class Column:
    """A person or period column of a subject type's frame, with its label."""

    name: str
    label: Promise | str


@dataclass(frozen=True)
class Scope:
    """Which subjects to compute: every one up to ``as_of`` (dated ``since`` or later, where
    the subject has a date), or only ``ids``."""

    as_of: dt.date
    since: dt.date | None = None
    ids: Sequence[int] | None = None


@dataclass(frozen=True)
class SubjectType:
    code: str
    label: Promise | str
    facts: tuple[Fact, ...]
    people: tuple[Column, ...]
    periods: tuple[Column, ...]
    #: The subjects' own columns (the input of ``derive``), read from the database.
    base: Callable[[Scope], pl.DataFrame]
    #: The base columns' types: a proposed change's rows are built with them.
    base_schema: dict[str, Any]
    #: Adds every fact (and the people and periods) to base rows.
    derive: Callable[[pl.DataFrame, Scope], pl.DataFrame]
    description: Promise | str = ""
    #: URL of a subject's page: (subject_id, subject_key, client_id) → path or "".
    link: Callable[[int | None, str, int | None], str] | None = None
    #: The frames about every client the facts of all subjects read (``common.prefetch``:
    #: "ledger", "clients", "revenue_12m", "employees", "status_decisions",
    #: "credit_decisions"); an audit starts reading them at once.
    reads: tuple[str, ...] = ()
    fact_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fact_names", frozenset(f.name for f in self.facts))

    def fact(self, name: str) -> Fact | None:
        return next((f for f in self.facts if f.name == name), None)

    def schema(self) -> dict[str, Any]:
        """The frame's columns and types, in order."""
        return {
            **FRAME_COLUMNS,
            **{c.name: pl.Int64 for c in self.people},
            **{c.name: pl.String for c in self.periods},
            **{f.name: FACT_TYPES[f.type] for f in self.facts},
        }

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.schema())

    def finish(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame in the declared columns and types (a fact the derivation forgot fails
        here, in every test, rather than in a rule at run time)."""
        schema = self.schema()
        missing = [name for name in schema if name not in frame.columns]
        if missing:
            raise RuntimeError(f"{self.code}: facts not computed: {missing}")
        return frame.select([pl.col(n).cast(t) for n, t in schema.items()]).sort("_row")

    def compute(self, scope: Scope, changes: dict[str, Any] | None = None) -> pl.DataFrame:
        """Every subject of the scope with its facts (the frames the base and the
        derivation both read are read once); with ``changes`` to base columns applied first,
        the facts as a change to existing subjects would make them (a guard)."""
        from kam.rules.facts.common import facts_cache

        with facts_cache():
            base = self.base(scope)
            if changes:
                base = base.with_columns(
                    [
                        pl.lit(value, dtype=self.base_schema[name]).alias(name)
                        for name, value in changes.items()
                    ]
                )
            return self.finish(self.derive(numbered(base), scope))

    def proposed(self, rows: list[dict[str, Any]], scope: Scope) -> pl.DataFrame:
        """The facts of subjects as a proposed change would make them (rows of base columns;
        a new subject has no ``subject_id``)."""
        filled = [{name: row.get(name) for name in self.base_schema} for row in rows]
        base = pl.DataFrame(filled, schema=self.base_schema, orient="row")
        return self.finish(self.derive(numbered(base), scope))


def numbered(base: pl.DataFrame) -> pl.DataFrame:
    return (
        base.drop("_row", strict=False)
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )


_REGISTRY: dict[str, SubjectType] = {}


def register(subject_type: SubjectType) -> SubjectType:
    _REGISTRY[subject_type.code] = subject_type
    return subject_type


def subject_types() -> dict[str, SubjectType]:
    """Every subject type, in the order they were registered."""
    _load()
    return dict(_REGISTRY)


def subject_type(code: str) -> SubjectType:
    _load()
    try:
        return _REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown subject type {code!r}") from None


def subject_type_choices() -> list[tuple[str, Any]]:
    return [(code, st.label) for code, st in subject_types().items()]


def _load() -> None:
    if _REGISTRY:
        return
    # Importing a module registers its subject types, in this order.
    from kam.rules.facts import (  # noqa: F401
        clients,
        company,
        credit,
        deals,
        ledger,
        organization,
        planning,
    )
