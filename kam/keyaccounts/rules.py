"""Separation of functions: who may be responsible for which client, and who may prospect.

The seed: the key-account department keeps the key accounts and does not search for or attract
new customers; acquisition does not keep key accounts. One function answers for every path
(pages, API, import, status decisions) and one selector lists the data that breaks it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kam.clients.choices import ClientStatus
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee


def is_key_account_staff(employee: Employee) -> bool:
    return employee.department.kind == DepartmentKind.KEY_ACCOUNTS


def responsibility_problem(employee: Employee, status: str) -> str | None:
    """Why ``employee`` may not be responsible for a client of ``status``; None if they may."""
    if not employee.is_active:
        return _("%(name)s is no longer active.") % {"name": employee.name}
    key_staff = is_key_account_staff(employee)
    if status == ClientStatus.KEY and not key_staff:
        return _(
            "A key account is kept by the key-account department; %(name)s works in %(department)s."
        ) % {"name": employee.name, "department": employee.department}
    if status == ClientStatus.STANDARD and key_staff:
        return _(
            "%(name)s works in the key-account department, which keeps key and potential key "
            "accounts only: a standard client goes to the sales department."
        ) % {"name": employee.name}
    return None


def prospecting_problem(employee: Employee) -> str | None:
    """Why ``employee`` may not own prospects or acquisition deals; None if they may."""
    if is_key_account_staff(employee):
        return _(
            "%(name)s works in the key-account department, which does not search for or "
            "attract new customers."
        ) % {"name": employee.name}
    return None


def key_accounts_kept_problem(employee: Employee, department: object) -> str | None:
    """Why ``employee`` may not move to ``department``: they keep key accounts."""
    from kam.clients.models import Client

    kind = getattr(department, "kind", None)
    if kind == DepartmentKind.KEY_ACCOUNTS or not employee.pk:
        return None
    kept = Client.objects.filter(responsible=employee, status=ClientStatus.KEY).count()
    if not kept:
        return None
    return _(
        "%(name)s keeps %(n)s key account(s): hand them over before moving them out of the "
        "key-account department."
    ) % {"name": employee.name, "n": kept}
