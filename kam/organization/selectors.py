"""Reads of the organisation shared by the rulebook's facts, incidents and the committee."""

from __future__ import annotations

from kam.organization.choices import DepartmentKind, Role
from kam.organization.models import Department, Employee


def department_head(kind: str) -> int | None:
    """The head of the department of ``kind`` (None if it has none)."""
    return Department.objects.filter(kind=kind).values_list("head_id", flat=True).first()


def director() -> int | None:
    """The sales director: the management department's head, else the first active employee
    with the director's role."""
    head = department_head(DepartmentKind.MANAGEMENT)
    if head is not None:
        return head
    return (
        Employee.objects.filter(role=Role.DIRECTOR, is_active=True)
        .order_by("code")
        .values_list("id", flat=True)
        .first()
    )
