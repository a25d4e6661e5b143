"""Template helpers of the planning pages (lists and the plan page alike).

- ``{% light value %}``: a traffic-light dot; ``value`` is a light code ("green", "amber", "red",
  "none") or anything with a ``light`` (a plan's or a target's progress); ``label=True`` adds the
  words beside the dot.
- ``{% plan_state value %}``: the plan's state as a badge; ``value`` is a plan, a state code or
  "missing" (no plan for the period).
- ``{% progress ratio light %}``: a bar of actual against target (capped at 100 %).
- ``{{ value|money }}``: a sum in the company currency, whole, grouped; a dash for nothing.
- ``{{ ratio|percent }}``: 0.853 → "85 %"; ``{{ value|figure:kind }}``: a target's number as its
  kind reads (money, a count, days).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kam.planning.choices import MONEY_TARGETS, Light, PlanState, TargetKind

register = template.Library()

#: The state of a key account without a plan for the period (selectors.MISSING).
MISSING = "missing"
DASH = "—"


def _light_code(value: Any) -> str:
    code = getattr(value, "light", value)
    code = str(code) if code else Light.NONE
    return code if code in Light.values else Light.NONE


def light_label(value: Any) -> str:
    return str(Light(_light_code(value)).label)


@register.simple_tag
def light(value: Any, label: bool = False) -> SafeString:
    """A traffic-light dot with its meaning for screen readers and as a tooltip."""
    code = _light_code(value)
    text = light_label(code)
    if label:
        return format_html(
            '<span class="light-label"><span class="light light-{}" aria-hidden="true" '
            'title="{}"></span>{}</span>',
            code,
            text,
            text,
        )
    return format_html(
        '<span class="light light-{}" role="img" aria-label="{}" title="{}"></span>',
        code,
        text,
        text,
    )


@register.filter
def light_name(value: Any) -> str:
    """The words of a light ("On track", …), for exports and text."""
    return light_label(value)


def state_label(state: str) -> str:
    if state == MISSING:
        return pgettext("plan state", "No plan")
    try:
        return str(PlanState(state).label)
    except ValueError:
        return state


@register.simple_tag
def plan_state(value: Any) -> SafeString:
    """The plan's state as a badge ("No plan" for a key account without one)."""
    state = getattr(value, "state", value) or MISSING
    return format_html(
        '<span class="badge plan-state plan-state-{}">{}</span>', state, state_label(state)
    )


@register.filter
def plan_state_label(value: Any) -> str:
    return state_label(getattr(value, "state", value) or MISSING)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def money(value: Any) -> str:
    """A sum, whole and grouped as the language writes it: "1,234,567" / "1 234 567"."""
    number = _number(value)
    if number is None:
        return DASH
    return formats.number_format(Decimal(round(number)), 0, force_grouping=True)


@register.filter
def percent(ratio: Any) -> str:
    """A share as a whole percentage: 0.853 → "85 %"; a dash without one."""
    number = _number(ratio)
    if number is None:
        return DASH
    return f"{formats.number_format(round(number * 100), 0, force_grouping=True)} %"


@register.filter
def bar_width(ratio: Any) -> str:
    """A share as a bar's CSS width: "0"–"100" (capped), dot decimals whatever the language."""
    number = _number(ratio)
    if not number or number < 0:
        return "0"
    return f"{min(number * 100, 100):.1f}"


@register.simple_tag
def progress(ratio: Any, light_value: Any = None) -> SafeString:
    """A thin bar of actual against target, coloured by the light."""
    code = _light_code(light_value)
    number = _number(ratio)
    if number is None:
        return format_html(
            '<div class="bar plan-bar plan-bar-none" role="img" aria-label="{}">'
            "<span></span></div>",
            light_label(Light.NONE),
        )
    text = _("%(percent)s of the target") % {"percent": percent(number)}
    return format_html(
        '<div class="bar plan-bar plan-bar-{}" role="img" aria-label="{}" title="{}">'
        '<span style="width: {}%"></span></div>',
        code,
        text,
        text,
        bar_width(number),
    )


@register.filter
def figure(value: Any, kind: str = "") -> str:
    """A target's number as its kind reads: money, a count of groups, days overdue."""
    number = _number(value)
    if number is None:
        return DASH
    if kind in MONEY_TARGETS or not kind:
        return money(number)
    whole = round(number)
    if kind == TargetKind.MAX_OVERDUE_DAYS:
        return ngettext("%(n)s day", "%(n)s days", whole) % {"n": whole}
    if kind == TargetKind.NEW_GROUPS:
        return ngettext("%(n)s group", "%(n)s groups", whole) % {"n": whole}
    return formats.number_format(whole, 0, force_grouping=True)
