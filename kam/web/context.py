"""The navigation follows the role: each entry names the roles that see it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.web import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = []
    if access.can_use_app(user):
        entries.append({"url": reverse("clients:list"), "label": _("Clients"), "key": "clients"})
    if access.can_view_assessment(user):
        entries.append(
            {"url": reverse("assessment:cycles"), "label": _("Assessment"), "key": "assessment"}
        )
    if access.can_view_department(user) or access.has_key_accounts_page(user):
        # Whoever sees the department gets its board; a key-account manager their accounts.
        target = "keyaccounts:board" if access.can_view_department(user) else "keyaccounts:mine"
        entries.append({"url": reverse(target), "label": _("Key accounts"), "key": "keyaccounts"})
    if access.can_view_plans(user) or access.has_plans_page(user):
        # Whoever reads every plan gets the department's plans; a key-account manager their own.
        target = "planning:department" if access.can_view_plans(user) else "planning:mine"
        entries.append({"url": reverse(target), "label": _("Plans"), "key": "planning"})
    if access.can_use_app(user):
        entries.append({"url": reverse("deals:pipeline"), "label": _("Pipeline"), "key": "deals"})
        entries.append({"url": reverse("credit:inbox"), "label": _("Credit"), "key": "credit"})
    if access.can_view_rules(user):
        entries.append({"url": reverse("rules:list"), "label": _("Rulebook"), "key": "rules"})
    if access.can_use_app(user):
        entries.append(
            {"url": reverse("incidents:inbox"), "label": _("Incidents"), "key": "incidents"}
        )
    if access.can_view_imports(user):
        entries.append({"url": reverse("imports:list"), "label": _("Imports"), "key": "imports"})
    if user.is_staff:
        entries.append(
            {"url": reverse("admin:index"), "label": _("Administration"), "key": "admin"}
        )
    roles = sorted(access.user_roles(user))
    return {
        "nav_entries": entries,
        "user_roles": roles,
        "user_employee": access.user_employee(user),
    }
