"""The demo company: generated files, imported, with a login for every role."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from kam.imports.services import ImportReport, import_file
from kam.organization.choices import Role
from kam.organization.models import Employee
from kam.organization.services import employee_user_sync_role

DEMO_PASSWORD = "kam-demo-2026"
IMPORT_ORDER = ["employees", "clients", "sales", "payments", "credit_decisions"]
# A short, memorable login per role (the first employee holding it), besides the codes.
ROLE_LOGINS = {
    Role.DIRECTOR: "director",
    Role.KEY_ACCOUNT_HEAD: "kahead",
    Role.KEY_ACCOUNT_MANAGER: "kam",
    Role.SALES_REP: "sales",
    Role.CREDIT_COMMITTEE_MEMBER: "credit",
    Role.ANALYST: "analyst",
    Role.AUDITOR: "auditor",
}


def demo_files(out: Path, *, clients: int, years: int, seed: int, end: dt.date) -> dict[str, Any]:
    """Generate the demo files into ``out`` unless the same ones are already there."""
    from kam.generator.company import generate_company

    stamp = out / "generated.json"
    wanted = {"clients": clients, "years": years, "seed": seed, "end": end.isoformat()}
    if stamp.exists():
        try:
            if json.loads(stamp.read_text())["params"] == wanted:
                return dict(json.loads(stamp.read_text())["figures"])
        except (ValueError, KeyError):
            pass
    out.mkdir(parents=True, exist_ok=True)
    figures = generate_company(out, clients=clients, years=years, seed=seed, end=end)
    stamp.write_text(json.dumps({"params": wanted, "figures": figures}, default=str))
    return dict(figures)


def demo_import(out: Path) -> list[ImportReport]:
    """Import the five files in order; stop at the first rejected one."""
    reports = []
    for kind in IMPORT_ORDER:
        report = import_file(kind=kind, path=out / f"{kind}.csv")
        reports.append(report)
        if not report.ok:
            break
    return reports


@transaction.atomic
def demo_users() -> list[tuple[str, str, str]]:
    """A user for every employee (login = code) and a short login per role.

    Returns (login, role label, employee name) for the roles' short logins.
    """
    User = get_user_model()
    logins: list[tuple[str, str, str]] = []
    taken: set[str] = set()
    for employee in Employee.objects.select_related("user").order_by("code"):
        short = ROLE_LOGINS.get(Role(employee.role)) if employee.role else None
        username = short if short and short not in taken else employee.code.lower()
        if employee.user is None:
            user, _created = User.objects.get_or_create(username=username)
            user.first_name, _sep, user.last_name = employee.name.partition(" ")
            user.email = employee.email
            user.set_password(DEMO_PASSWORD)
            user.is_staff = employee.role in (Role.DIRECTOR, Role.ANALYST, Role.AUDITOR)
            user.is_superuser = employee.role == Role.DIRECTOR
            user.save()
            employee.user = user
            employee.save(update_fields=["user"])
        employee_user_sync_role(employee=employee)
        if short and short not in taken:
            taken.add(short)
            logins.append(
                (employee.user.get_username(), str(Role(employee.role).label), employee.name)
            )
    return logins


def demo_assessment(end: dt.date) -> dict[str, Any]:
    """The assessment story of the demo, once: the key-account department's clients start as
    key accounts (a decision by the director), a cycle three months ago whose promotions the
    key-account head accepted, and the current cycle showing what changed since."""
    from kam.assessment.choices import FurtherWork, Review
    from kam.assessment.models import Assessment, AssessmentCycle
    from kam.assessment.services import DecisionInput, cycle_run, decisions_record
    from kam.clients.choices import ClientStatus
    from kam.clients.models import Client
    from kam.ledger.months import add_months
    from kam.organization.choices import DepartmentKind

    User = get_user_model()
    director = User.objects.filter(username=ROLE_LOGINS[Role.DIRECTOR]).first()
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    first_as_of = add_months(end.replace(day=1), -3) - dt.timedelta(days=1)
    if not AssessmentCycle.objects.exists():
        served = Client.objects.filter(
            responsible__department__kind=DepartmentKind.KEY_ACCOUNTS,
            status=ClientStatus.STANDARD,
        ).values_list("pk", flat=True)
        decisions_record(
            items=[
                DecisionInput(
                    pk,
                    ClientStatus.KEY,
                    FurtherWork.DEVELOP,
                    "Served by the key-account department before kam: initial status.",
                    next_review=add_months(end, 3),
                )
                for pk in served
            ],
            user=director,
        )
        earlier = cycle_run(as_of=first_as_of, user=head)
        promoted = Assessment.objects.filter(
            cycle=earlier, review=Review.PENDING, change="promote"
        ).values_list("client_id", flat=True)
        from kam.assessment.services import proposals_accept

        proposals_accept(cycle=earlier, client_ids=list(promoted), user=head)
    current = cycle_run(as_of=end, user=head)
    return {
        "cycle": current.pk,
        "as_of": current.as_of.isoformat(),
        "promote": current.promote,
        "demote": current.demote,
        "keep": current.keep,
    }


def demo_department() -> dict[str, Any]:
    """The key-account department's story, once: the head sets the workload limit, gives every
    key account without a manager to the least-loaded one (who acknowledges), and hands two
    accounts over between managers with notes: one acknowledged, one still waiting for the
    receiver (the "kam" login)."""
    import math

    from django.utils.translation import gettext as _

    from kam.keyaccounts.choices import Cause
    from kam.keyaccounts.models import Handover
    from kam.keyaccounts.selectors import board, gaps
    from kam.keyaccounts.services import (
        handover_acknowledge,
        handover_record,
        loads_of,
        workload_limit_set,
    )
    from kam.organization.choices import DepartmentKind

    User = get_user_model()
    head = User.objects.filter(username=ROLE_LOGINS[Role.KEY_ACCOUNT_HEAD]).first()
    managers = list(
        Employee.objects.filter(
            department__kind=DepartmentKind.KEY_ACCOUNTS,
            is_active=True,
            role=Role.KEY_ACCOUNT_MANAGER,
        )
        .select_related("department", "user")
        .order_by("code")
    )
    if Handover.objects.exists() or head is None or len(managers) < 2:
        current = board()
        return {"handovers": Handover.objects.count(), "gaps": len(current.gaps)}
    open_gaps = gaps()
    loads = {pk: load.accounts for pk, load in loads_of(managers).items()}
    total = sum(loads.values()) + len(open_gaps)
    limit = math.ceil(total / len(managers)) + 2
    workload_limit_set(manager=None, max_accounts=limit, max_revenue=None, user=head)
    for gap in open_gaps:
        receiver = min(managers, key=lambda m: (loads[m.pk], m.code))
        assigned = handover_record(
            client=gap.client,
            to_manager=receiver,
            user=head,
            cause=Cause.PROMOTION,
            reason=_("New key account: assigned to the manager with the lightest load."),
            expected_from=gap.responsible,
            confirm_over_limit=True,
        )
        if receiver.user is not None:  # the receivers have read their briefings
            handover_acknowledge(handover=assigned, user=receiver.user)
        loads[receiver.pk] += 1
    # An earlier handover, acknowledged, then one the "kam" login still has to acknowledge.
    kam = next(
        (
            m
            for m in managers
            if m.user and m.user.username == ROLE_LOGINS[Role.KEY_ACCOUNT_MANAGER]
        ),
        managers[0],
    )
    others = [m for m in managers if m.pk != kam.pk]
    busiest = max(others, key=lambda m: (loads[m.pk], m.code))
    second = min(others, key=lambda m: (loads[m.pk], m.code))
    story = [(busiest, second, True), (busiest, kam, False)]
    recorded = 0
    for giver, receiver, acknowledged in story:
        if giver.pk == receiver.pk:
            continue
        held = list(
            giver.assignments.filter(end__isnull=True)
            .select_related("client")
            .order_by("client__name")[:1]
        )
        if not held:
            continue
        handover = handover_record(
            client=held[0].client,
            to_manager=receiver,
            user=head,
            cause=Cause.OVERLOAD,
            reason=_("%(name)s keeps the most accounts in the department.") % {"name": giver.name},
            notes=_(
                "Call the purchasing manager before the next order; the price list for next "
                "quarter is being agreed."
            ),
            expected_from=giver,
            confirm_over_limit=True,
        )
        loads[giver.pk] -= 1
        loads[receiver.pk] += 1
        recorded += 1
        if acknowledged and receiver.user is not None:
            handover_acknowledge(handover=handover, user=receiver.user)
    current = board()
    return {
        "limit": limit,
        "assigned": len(open_gaps),
        "handovers": Handover.objects.count(),
        "gaps": len(current.gaps),
        "key_accounts": current.key_accounts,
    }
