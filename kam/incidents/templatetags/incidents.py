"""Template helpers of the incident pages.

- ``{% incident_state value %}``: the state as a coloured badge (an incident or a state code).
- ``{% severity_badge value %}``: the severity as a badge.
- ``{{ code|rule_url }}``: the rule's page in the rulebook.
- ``{{ incident|subject_url }}``: the page of the incident's subject ("" when it has none).
- ``{{ incident|subject_label }}``: the subject type's name.
- ``{{ value|fact_value }}``: a fact's value as people read it (yes/no, grouped numbers, —).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kam.incidents.choices import IncidentState
from kam.rules.choices import Severity

register = template.Library()


@register.simple_tag
def incident_state(value: Any) -> SafeString:
    code = str(getattr(value, "state", value) or "")
    label = IncidentState(code).label if code in IncidentState.values else code
    return format_html(
        '<span class="badge incident-state incident-state-{}" data-state="{}">{}</span>',
        code,
        code,
        label,
    )


@register.simple_tag
def severity_badge(value: Any) -> SafeString:
    code = str(getattr(value, "severity", value) or "")
    label = Severity(code).label if code in Severity.values else code
    return format_html('<span class="badge severity severity-{}">{}</span>', code, label)


@register.filter
def rule_url(code: str) -> str:
    """The rule's page (the rulebook's pages name it rules:detail; until they do, its path)."""
    try:
        return reverse("rules:detail", args=[code])
    except NoReverseMatch:
        return f"{reverse('rules:list')}{code}/"


def _subject_type(code: str) -> Any:
    from kam.rules.facts import subject_type

    try:
        return subject_type(code)
    except KeyError:
        return None


@register.filter
def subject_url(incident: Any) -> str:
    kind = _subject_type(incident.subject_type)
    if kind is None or kind.link is None:
        return ""
    try:
        return str(kind.link(incident.subject_id, incident.subject_key, incident.client_id))
    except NoReverseMatch:
        return ""


@register.filter
def subject_label(incident: Any) -> str:
    kind = _subject_type(getattr(incident, "subject_type", incident))
    return str(kind.label) if kind is not None else str(incident.subject_type)


@register.filter
def fact_value(value: Any) -> str:
    """A fact's value as the rule messages show it (kam.rules.models.fact_shown)."""
    from kam.rules.models import fact_shown

    return str(fact_shown(value))


@register.filter
def percent(value: Any) -> str:
    """0.25 → "25 %"; nothing → "—"."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.0f}\u00a0%"
