"""Small template helpers of the key-account pages: the revenue sparkline, growth, labels."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kam.assessment.choices import FurtherWork
from kam.keyaccounts import display

register = template.Library()


@register.simple_tag
def sparkline(values: list[float]) -> SafeString:
    """The account's revenue over the last 12 months as an inline SVG line."""
    return display.sparkline(values, _("Revenue by month over the last 12 months"))


@register.filter
def signed_percent(value: float | None) -> str:
    """Growth as "+12.5 %" or "−3.0 %"; a dash without a base to compare with."""
    if value is None:
        return "—"
    text = formats.number_format(round(abs(value), 1), 1)
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{text} %"


@register.filter
def further_work_label(value: str) -> Any:
    return dict(FurtherWork.choices).get(value, value or "—")


@register.filter
def percent_of(value: float | None, whole: float | None) -> str:
    """``value`` as a share of ``whole`` for a bar's width: "0"–"100" (capped), dot decimals."""
    if not value or not whole:
        return "0"
    return f"{min(float(value) / float(whole) * 100, 100):.1f}"
