"""Guards: an action a mandatory rule governs is checked before it is written.

The service of the action (registering a sale, approving a plan, handing an account over …)
asks ``guard`` with the subject as the action would leave it; every enabled rule of that
subject type is evaluated on the same facts the audit computes. A broken mandatory rule
refuses the action with the rule's message (``GuardRefused``) unless a user holding one of
the rule's override roles gives a reason: then the action goes through and an incident is
opened for the override itself (``GuardResult.record``), in the action's transaction. Broken
recommendations only warn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kam.incidents.models import Incident
from kam.incidents.services import Breach, incident_open_override
from kam.rules.audit import breaches_of, enabled_versions
from kam.rules.engine import evaluate
from kam.rules.facts import Scope, subject_type
from kam.web import access

AnyUser = access.AnyUser


class GuardRefused(ValidationError):
    """A mandatory rule refuses the action. ``breaches`` name the rules and their messages;
    ``overridable``: the user may let it through with a reason."""

    def __init__(self, breaches: list[Breach], overridable: bool, reason_given: bool = False):
        self.breaches = breaches
        self.overridable = overridable
        messages = [_("%(rule)s: %(message)s") % _texts(b) for b in breaches]
        if reason_given and not overridable:
            messages.append(_("Your role may not override these rules."))
        super().__init__(messages, code="rule")


def _texts(breach: Breach) -> dict[str, str]:
    return {"rule": breach.version.title, "message": breach.version.message(breach.facts)}


@dataclass
class GuardResult:
    """What the guard found: the mandatory rules overridden (with the reason) and the
    recommendations broken."""

    overridden: list[Breach] = field(default_factory=list)
    warnings: list[Breach] = field(default_factory=list)
    reason: str = ""

    def warning_messages(self) -> list[str]:
        return [_("%(rule)s: %(message)s") % _texts(b) for b in self.warnings]

    def record(
        self, *, user: AnyUser | None, subject_id: int | None = None, subject_key: str = ""
    ) -> list[Incident]:
        """Open the incidents of the overrides, once the action has its subject (a new
        document's number, a new assignment's id)."""
        incidents = []
        for breach in self.overridden:
            if subject_id is not None:
                breach.subject_id = subject_id
            if subject_key:
                breach.subject_key = subject_key
                breach.facts["subject_key"] = subject_key
            incidents.append(incident_open_override(breach=breach, user=user, reason=self.reason))
        return incidents


def guard(
    *,
    subject: str,
    user: AnyUser | None,
    as_of: dt.date,
    rows: list[dict[str, Any]] | None = None,
    ids: list[int] | None = None,
    changes: dict[str, Any] | None = None,
    override_reason: str = "",
) -> GuardResult:
    """Check the enabled rules of ``subject`` against the subjects as the action leaves them:
    new subjects as ``rows`` of base columns, or existing ones by ``ids`` with ``changes``
    applied to their base columns. Refuses (GuardRefused) or returns what to record."""
    versions = enabled_versions(subject=subject)
    if not versions:
        return GuardResult()
    kind = subject_type(subject)
    scope = Scope(as_of=as_of, ids=ids)
    frame = kind.proposed(rows, scope) if rows is not None else kind.compute(scope, changes)
    mandatory: list[Breach] = []
    warnings: list[Breach] = []
    for version in versions:
        broken = evaluate(kind, frame, version.condition, version.parameters)
        if not broken.any():
            continue
        found = breaches_of(kind, version, frame, broken)
        (mandatory if version.is_mandatory else warnings).extend(found)
    if not mandatory:
        return GuardResult(warnings=warnings)
    reason = (override_reason or "").strip()
    overridable = user is not None and all(
        access.can_override_rule(user, b.version) for b in mandatory
    )
    if reason and overridable:
        return GuardResult(overridden=mandatory, warnings=warnings, reason=reason)
    raise GuardRefused(mandatory, overridable, reason_given=bool(reason))


def may_override(user: AnyUser, subject: str) -> bool:
    """Whether ``user`` holds a role that may override one of the enabled mandatory rules of
    ``subject`` (the pages then offer the reason field)."""
    return any(
        version.is_mandatory and access.can_override_rule(user, version)
        for version in enabled_versions(subject=subject)
    )
