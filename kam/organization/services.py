"""Writes to the organisation: role groups of users, department heads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from kam.organization.choices import DepartmentKind, Role
from kam.organization.models import Department, Employee

# The role whose holder heads a department when nobody reports to anyone there.
HEAD_ROLES = {
    DepartmentKind.KEY_ACCOUNTS: Role.KEY_ACCOUNT_HEAD,
    DepartmentKind.MANAGEMENT: Role.DIRECTOR,
}


def employee_user_sync_role(*, employee: Employee) -> None:
    """Put the employee's user in exactly the group of the employee's role."""
    user = employee.user
    if user is None:
        return
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*role_groups.exclude(name=employee.role))
    if employee.role:
        group, _created = Group.objects.get_or_create(name=employee.role)
        user.groups.add(group)


@transaction.atomic
def department_heads_fill() -> list[Department]:
    """Give departments without a head the one their people report to (or the head role)."""
    changed = []
    for department in Department.objects.filter(head__isnull=True):
        members = list(department.employees.filter(is_active=True))
        if not members:
            continue
        ids = {m.id for m in members}
        reports = Counter(m.manager_id for m in members if m.manager_id in ids)
        head: Employee | None = None
        if reports:
            best = max(reports.values())
            head = min((m for m in members if reports.get(m.id) == best), key=lambda m: m.code)
        else:
            role = HEAD_ROLES.get(DepartmentKind(department.kind))
            holders = sorted((m for m in members if m.role == role), key=lambda m: m.code)
            head = holders[0] if holders else None
        if head is not None:
            department.head = head
            department.save(update_fields=["head"])
            changed.append(department)
    return changed


def employees_sync_after_import(*, codes: Iterable[str]) -> None:
    """After an employees import: users' role groups follow the roles; heads are filled."""
    for employee in Employee.objects.filter(code__in=list(codes), user__isnull=False):
        employee_user_sync_role(employee=employee)
    department_heads_fill()
