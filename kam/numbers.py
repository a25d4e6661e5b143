"""Numbers as users type them and numbers kam gives out.

- ``decimal_from_text``: "1 234,56" (spaces or no-break spaces between thousands, a decimal
  comma or point) as a Decimal, for every form and API field of money or quantities.
- ``next_number``: the next of a numbered series (``KAM-2026-000001``, ``CC-2026-00001``,
  ``N-000001``) after the highest number taken; codes of other shapes are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any


def decimal_from_text(value: Any) -> Decimal:
    """The number ``value`` says; ``decimal.InvalidOperation`` when it says none. Whether an
    infinity, a negative number or too many places is acceptable is the caller's to check."""
    text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return Decimal(text)


def next_number(taken: Iterable[str], prefix: str, width: int) -> str:
    """``prefix`` and the number after the highest of ``taken`` that has this prefix and digits
    after it, zero-padded to ``width``."""
    numbers = (
        int(code[len(prefix) :])
        for code in taken
        if code.startswith(prefix) and code[len(prefix) :].isdigit()
    )
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"
