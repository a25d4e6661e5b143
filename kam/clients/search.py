"""Case-insensitive search that works for Russian on SQLite too.

SQLite's LOWER() and LIKE fold only ASCII letters, so "ромаш" would not find "Ромашка".
Searches compare LOWER(column) with the lower-cased term; on SQLite, LOWER and UPPER are
replaced by Python's Unicode-aware versions when a connection opens (PostgreSQL's are
Unicode-aware already).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower


def sqlite_unicode_case(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("lower", 1, _lower, deterministic=True)
    raw.create_function("upper", 1, _upper, deterministic=True)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def contains_folded(field: str, value: str) -> tuple[dict[str, Any], Q]:
    """An annotation and a filter: ``field`` contains ``value``, any letter case."""
    alias = f"_{field}_folded"
    return {alias: Lower(field)}, Q(**{f"{alias}__contains": value.lower()})
