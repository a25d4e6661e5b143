"""Staff for tests: a user and an employee per (login, code, name, department, role) row."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User

from kam.organization.models import Department, Employee
from kam.organization.services import employee_user_sync_role

Person = tuple[str, str, str, str, str]


def staff_create(
    people: Iterable[Person], *, without_role: Iterable[str] = ()
) -> tuple[dict[str, User], dict[str, Employee]]:
    """Users with employees in the role groups, plus users that have no role at all."""
    users: dict[str, User] = {}
    employees: dict[str, Employee] = {}
    for login, code, name, department, role in people:
        user = User.objects.create_user(login, password="not-used-1234")
        employee = Employee.objects.create(
            code=code,
            name=name,
            # get_or_create: transactional (browser) tests flush the migration's departments.
            department=Department.objects.get_or_create(kind=department)[0],
            role=role,
            user=user,
        )
        employee_user_sync_role(employee=employee)
        users[login], employees[login] = user, employee
    for login in without_role:
        users[login] = User.objects.create_user(login, password="not-used-1234")
    return users, employees
