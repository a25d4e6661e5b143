"""What the pages of other apps show when a rule refuses an action (see kam.rules.guards)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kam.organization.choices import Role
from kam.rules.guards import GuardRefused


def override_roles_text(refusal: GuardRefused) -> str:
    """The roles that may override every rule of the refusal, as the reader reads them."""
    roles: set[str] | None = None
    for breach in refusal.breaches:
        allowed = set(breach.version.override_roles or [])
        roles = allowed if roles is None else roles & allowed
    return ", ".join(str(Role(r).label).lower() for r in sorted(roles or set()))


def rule_refusal_messages(request: HttpRequest, refusal: GuardRefused) -> None:
    """One error per broken rule (its title and message), then whether and how the user may
    override it."""
    for breach in refusal.breaches:
        messages.error(
            request,
            _("%(rule)s: %(message)s")
            % {"rule": breach.version.title, "message": breach.version.message(breach.facts)},
        )
    if refusal.overridable:
        messages.info(
            request,
            _(
                "You may override: give your reason in the override field and send again. "
                "An incident is opened for the override."
            ),
        )
    else:
        roles = override_roles_text(refusal)
        messages.info(
            request,
            _("Only these roles may override it: %(roles)s.") % {"roles": roles}
            if roles
            else _("Nobody may override this rule."),
        )
