"""Template helpers of the credit committee's pages.

- ``{% application_state value %}``: an application's state as a coloured badge.
- ``{% decision_state code %}``: a decision's standing (valid, expired …) as a badge.
- ``{% vote_badge value %}``: a vote's choice as a badge.
- ``{{ value|money }}``: an amount grouped as the language groups it, kopecks only if any.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import pgettext_lazy

from kam.credit.choices import ApplicationState, DecisionState, VoteChoice

register = template.Library()


#: A vote as a badge says it short; its title says it in full.
SHORT_VOTES = {
    VoteChoice.APPROVE.value: pgettext_lazy("committee vote, short", "Approve"),
    VoteChoice.APPROVE_REDUCED.value: pgettext_lazy("committee vote, short", "Approve with less"),
    VoteChoice.REJECT.value: pgettext_lazy("committee vote, short", "Reject"),
}


def _badge(kind: str, code: str, label: Any, title: Any = "") -> SafeString:
    return format_html(
        '<span class="badge {kind} {kind}-{code}" data-state="{code}" title="{title}">{label}'
        "</span>",
        kind=kind,
        code=code,
        label=label,
        title=title or label,
    )


@register.simple_tag
def application_state(value: Any) -> SafeString:
    code = str(getattr(value, "state", value) or "")
    label = ApplicationState(code).label if code in ApplicationState.values else code
    return _badge("app-state", code, label)


@register.simple_tag
def decision_state(code: Any) -> SafeString:
    code = str(code or "")
    label = DecisionState(code).label if code in DecisionState.values else code
    return _badge("decision-state", code, label)


@register.simple_tag
def vote_badge(value: Any) -> SafeString:
    code = str(getattr(value, "choice", value) or "")
    label = VoteChoice(code).label if code in VoteChoice.values else code
    return _badge("vote", code, SHORT_VOTES.get(code, label), label)


@register.filter
def money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(floatformat(value, "-2g"))
