"""Who may see and change what: the one place pages, exports and the API ask.

Roles are Django groups named after organization.choices.Role; a user's employee record
ties them to the clients they are responsible for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kam.clients.models import Client
from kam.organization.choices import Role
from kam.organization.models import Employee

if TYPE_CHECKING:
    from kam.keyaccounts.models import Handover

AnyUser = AbstractBaseUser | AnonymousUser

# Roles that read every client (the auditor reads everything and changes nothing).
READ_ALL = {
    Role.DIRECTOR,
    Role.KEY_ACCOUNT_HEAD,
    Role.ANALYST,
    Role.AUDITOR,
    Role.CREDIT_COMMITTEE_MEMBER,
}
# Roles that change any client in their scope; managers and reps change their own.
EDIT_ALL = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}
IMPORTERS = {Role.DIRECTOR, Role.ANALYST}
# Assessment: who runs cycles, who decides statuses, who edits scoring models.
ASSESSORS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD, Role.ANALYST}
DECIDERS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}
MODELLERS = {Role.DIRECTOR, Role.ANALYST}


def acting_user(user: AnyUser | None) -> Any:
    """The user to store as who did something: None for the command line or an anonymous call."""
    return user if user is not None and user.is_authenticated else None


def user_roles(user: AnyUser) -> set[str]:
    """The user's roles (group names); a superuser counts as the director."""
    if not user.is_authenticated:
        return set()
    cached: set[str] | None = getattr(user, "_kam_roles", None)
    if cached is not None:
        return cached
    roles = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))  # type: ignore[union-attr,attr-defined]
    if getattr(user, "is_superuser", False):
        roles.add(Role.DIRECTOR)
    user._kam_roles = roles  # type: ignore[union-attr,attr-defined]
    return roles


def user_employee(user: AnyUser) -> Employee | None:
    if not user.is_authenticated:
        return None
    try:
        return user.employee  # type: ignore[union-attr,attr-defined]
    except Employee.DoesNotExist:
        return None


def client_scope(user: AnyUser, queryset: QuerySet[Client] | None = None) -> QuerySet[Client]:
    """The clients ``user`` may see."""
    queryset = queryset if queryset is not None else Client.objects.all()
    roles = user_roles(user)
    if roles & READ_ALL:
        return queryset
    if Role.KEY_ACCOUNT_MANAGER in roles and settings.KAM_MANAGERS_READ_ALL_CLIENTS:
        return queryset
    employee = user_employee(user)
    if employee is None or not roles:
        return queryset.none()
    return queryset.filter(responsible=employee)


def sees_others_clients(user: AnyUser) -> bool:
    roles = user_roles(user)
    return bool(roles & READ_ALL) or (
        Role.KEY_ACCOUNT_MANAGER in roles and settings.KAM_MANAGERS_READ_ALL_CLIENTS
    )


def require_role(request: Any) -> None:
    """Pages, exports and the API are for users with a role (one without sees nothing)."""
    if not can_use_app(request.user):
        raise PermissionDenied(_("Your account has no role in kam yet."))


def can_view_client(user: AnyUser, client: Client) -> bool:
    return client_scope(user, Client.objects.filter(pk=client.pk)).exists()


def can_edit_client(user: AnyUser, client: Client) -> bool:
    """Profile facts: the director and the key-account head; managers and reps their own."""
    roles = user_roles(user)
    if Role.AUDITOR in roles and not roles & EDIT_ALL:
        return False
    if roles & EDIT_ALL:
        return True
    employee = user_employee(user)
    return (
        bool(roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP})
        and employee is not None
        and client.responsible_id == employee.pk
    )


def can_import(user: AnyUser) -> bool:
    return bool(user_roles(user) & IMPORTERS)


def can_view_imports(user: AnyUser) -> bool:
    """The history of imports: importers and the auditor."""
    return bool(user_roles(user) & (IMPORTERS | {Role.AUDITOR}))


def can_use_app(user: AnyUser) -> bool:
    """Anyone with a role (a user without one sees nothing but a notice)."""
    return bool(user_roles(user))


def can_view_assessment(user: AnyUser) -> bool:
    """Cycles, proposals and the portfolio matrix: whoever reads every client."""
    return bool(user_roles(user) & READ_ALL)


def can_run_assessment(user: AnyUser) -> bool:
    return bool(user_roles(user) & ASSESSORS)


def can_decide_status(user: AnyUser) -> bool:
    """Status decisions (one client or a cycle's proposals in bulk)."""
    return bool(user_roles(user) & DECIDERS)


def can_edit_models(user: AnyUser) -> bool:
    return bool(user_roles(user) & MODELLERS)


# Key-account department: the head and the director run it; whoever reads every client sees it.
DEPARTMENT_MANAGERS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}


def can_view_department(user: AnyUser) -> bool:
    """The department board, handover history and workload: whoever reads every client."""
    return bool(user_roles(user) & READ_ALL)


def can_manage_department(user: AnyUser) -> bool:
    """Handovers and workload limits: the key-account head and the director."""
    return bool(user_roles(user) & DEPARTMENT_MANAGERS)


def can_hand_over(user: AnyUser, client: Client) -> bool:
    """Who may change a client's responsible manager.

    The director: any client. The key-account head: key and potential key accounts, and any
    account a key-account manager keeps (a demoted one goes back to sales). Nobody reassigns
    their own accounts by themselves.
    """
    roles = user_roles(user)
    if Role.DIRECTOR in roles:
        return True
    if Role.KEY_ACCOUNT_HEAD not in roles:
        return False
    from kam.clients.choices import ClientStatus
    from kam.organization.choices import DepartmentKind

    if client.status in (ClientStatus.KEY, ClientStatus.POTENTIAL_KEY):
        return True
    responsible = client.responsible
    return responsible is not None and responsible.department.kind == DepartmentKind.KEY_ACCOUNTS


def has_key_accounts_page(user: AnyUser) -> bool:
    """ "My key accounts": whoever keeps accounts in the key-account department."""
    return bool(user_roles(user) & {Role.KEY_ACCOUNT_MANAGER, Role.KEY_ACCOUNT_HEAD})


def handover_scope(user: AnyUser, queryset: QuerySet[Handover]) -> QuerySet[Handover]:
    """The handovers ``user`` may read with their briefings: all of them for whoever sees the
    department; otherwise those naming the user's employee as giver or receiver (the receiver
    reads the briefing before acknowledging it)."""
    if can_view_department(user):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    return queryset.filter(Q(from_manager=employee) | Q(to_manager=employee))


def can_view_handover(user: AnyUser, handover: Handover) -> bool:
    return handover_scope(user, type(handover).objects.filter(pk=handover.pk)).exists()


def can_acknowledge_handover(user: AnyUser, handover: Handover) -> bool:
    """Only the receiver confirms they have taken the account over."""
    employee = user_employee(user)
    return employee is not None and employee.pk == handover.to_manager_id


# Development plans: the responsible manager writes their account's plan, the key-account head
# (or the director) approves it; whoever reads every client reads every plan.
PLAN_APPROVERS = DEPARTMENT_MANAGERS


def can_view_plans(user: AnyUser) -> bool:
    """Department plans (every key account × period): whoever reads every client."""
    return bool(user_roles(user) & READ_ALL)


def has_plans_page(user: AnyUser) -> bool:
    """ "My plans": whoever keeps key accounts."""
    return has_key_accounts_page(user)


def plan_scope(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The plans ``user`` may read: every plan for the read-all roles, else their own (as owner),
    those of the accounts they are responsible for now, and those giving them an action."""
    if can_view_plans(user):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    from kam.planning.models import PlanAction

    with_action = PlanAction.objects.filter(responsible=employee).values("plan_id")
    return queryset.filter(
        Q(owner=employee) | Q(client__responsible=employee) | Q(pk__in=with_action)
    )


def can_view_plan(user: AnyUser, plan: Any) -> bool:
    return plan_scope(user, type(plan).objects.filter(pk=plan.pk)).exists()


def can_create_plan(user: AnyUser, client: Client) -> bool:
    """The account's responsible manager, the key-account head and the director."""
    roles = user_roles(user)
    if roles & PLAN_APPROVERS:
        return True
    employee = user_employee(user)
    return (
        Role.KEY_ACCOUNT_MANAGER in roles
        and employee is not None
        and client.responsible_id == employee.pk
    )


def can_write_plan(user: AnyUser, plan: Any) -> bool:
    """Only the responsible manager (the plan's owner) writes the plan's targets and actions."""
    employee = user_employee(user)
    return (
        employee is not None
        and can_use_app(user)
        and plan.owner_id == employee.pk
        and plan.client.responsible_id == employee.pk
    )


def approves_plans(user: AnyUser) -> bool:
    """The key-account head and the director: they approve, return and propose for everyone."""
    return bool(user_roles(user) & PLAN_APPROVERS)


def makes_plans(user: AnyUser) -> bool:
    """Who makes plans at all: the approvers and the key-account managers (for their accounts;
    ``can_create_plan`` decides per account)."""
    return approves_plans(user) or has_plans_page(user)


def can_approve_plan(user: AnyUser, plan: Any) -> bool:
    """The key-account head or the director, never for a plan they own themselves."""
    if not user_roles(user) & PLAN_APPROVERS:
        return False
    employee = user_employee(user)
    return employee is None or employee.pk != plan.owner_id


def can_close_plan(user: AnyUser, plan: Any) -> bool:
    """The owner records the results; the head and the director may close for them."""
    return can_write_plan(user, plan) or bool(user_roles(user) & PLAN_APPROVERS)


def can_change_planning_settings(user: AnyUser) -> bool:
    return approves_plans(user)


# The rulebook: everyone with a role reads it (the rules bind them); the analyst and the
# director write it and run the audit.
RULE_EDITORS = {Role.DIRECTOR, Role.ANALYST}
# Incidents of everyone: the director, the auditor and the analyst (who tunes the rules).
INCIDENT_READERS = {Role.DIRECTOR, Role.AUDITOR, Role.ANALYST}
# The discipline scorecard: the incident readers and the key-account head.
SCORECARD_READERS = INCIDENT_READERS | {Role.KEY_ACCOUNT_HEAD}
# Role → the handler role whose incidents its holders handle (besides their own as handler).
HANDLER_ROLES: dict[str, str] = {
    Role.KEY_ACCOUNT_HEAD: "key_account_head",
    Role.DIRECTOR: "director",
}


def can_view_rules(user: AnyUser) -> bool:
    return can_use_app(user)


def can_edit_rules(user: AnyUser) -> bool:
    """Write rule versions, dry-run and enable them: the analyst and the director."""
    return bool(user_roles(user) & RULE_EDITORS)


def can_run_audit(user: AnyUser) -> bool:
    return can_edit_rules(user)


def can_override_rule(user: AnyUser, version: Any) -> bool:
    """Whether ``user`` holds a role the rule version lets override a refused action."""
    return bool(user_roles(user) & set(version.override_roles or []))


def can_view_scorecard(user: AnyUser) -> bool:
    return bool(user_roles(user) & SCORECARD_READERS)


def can_manage_sanctions(user: AnyUser) -> bool:
    """The catalogue of sanctions is the director's."""
    return Role.DIRECTOR in user_roles(user)


def reads_all_incidents(user: AnyUser) -> bool:
    return bool(user_roles(user) & INCIDENT_READERS)


def incident_scope(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The incidents ``user`` may read: all of them for the director, the auditor and the
    analyst; otherwise those naming them (violator or handler), those of a department they
    head, and those their role handles."""
    if reads_all_incidents(user):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    handled_roles = [HANDLER_ROLES[r] for r in user_roles(user) if r in HANDLER_ROLES]
    return queryset.filter(
        Q(violator=employee)
        | Q(handler=employee)
        | Q(department__head=employee)
        | Q(handler_role__in=handled_roles)
    )


def can_view_incident(user: AnyUser, incident: Any) -> bool:
    return incident_scope(user, type(incident).objects.filter(pk=incident.pk)).exists()


def can_handle_incident(user: AnyUser, incident: Any) -> bool:
    """The incident's handler, whoever holds its handler role, or the director; never the
    violator (unless they are the director) and never the auditor."""
    roles = user_roles(user)
    if Role.DIRECTOR in roles:
        return True
    employee = user_employee(user)
    if employee is None or not roles or roles == {Role.AUDITOR}:
        return False
    if employee.pk == incident.violator_id:
        return False
    handled = {HANDLER_ROLES[r] for r in roles if r in HANDLER_ROLES}
    return employee.pk == incident.handler_id or incident.handler_role in handled


def can_explain_incident(user: AnyUser, incident: Any) -> bool:
    """The employee the incident names explains it."""
    employee = user_employee(user)
    return employee is not None and can_use_app(user) and employee.pk == incident.violator_id


def can_complete_corrective_action(user: AnyUser, action: Any) -> bool:
    employee = user_employee(user)
    if employee is not None and employee.pk == action.owner_id and can_use_app(user):
        return True
    return can_handle_incident(user, action.incident)


# Registering a sale in kam (an order to ship): the client's responsible employee (a manager or
# a rep), the key-account head and the director.
SALE_REGISTRARS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}


def can_register_sale(user: AnyUser, client: Client) -> bool:
    roles = user_roles(user)
    if roles & SALE_REGISTRARS:
        return True
    employee = user_employee(user)
    return (
        bool(roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP})
        and employee is not None
        and client.responsible_id == employee.pk
    )


# The credit committee: members vote on applications; the client's responsible employee, a
# deal's owner, the key-account head and the director apply; the director sets the policy;
# the chair and the director revoke decisions. The committee's work is read by the members
# and whoever reads every client.
CREDIT_READERS = READ_ALL
CREDIT_APPLICANTS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}


def is_committee_member(user: AnyUser) -> bool:
    from kam.organization.choices import DepartmentKind

    employee = user_employee(user)
    return (
        employee is not None
        and employee.is_active
        and employee.department.kind == DepartmentKind.CREDIT_COMMITTEE
        and can_use_app(user)
    )


def can_view_credit(user: AnyUser) -> bool:
    """The committee's inbox, applications and the decision register."""
    return bool(user_roles(user) & CREDIT_READERS) or is_committee_member(user)


def credit_application_scope(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Every application for the readers of the committee's work; otherwise those the user
    filed and those of the clients they keep."""
    if can_view_credit(user):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    return queryset.filter(Q(applicant=employee) | Q(client__responsible=employee))


def can_apply_for_credit(user: AnyUser, client: Client) -> bool:
    roles = user_roles(user)
    if roles & CREDIT_APPLICANTS:
        return True
    employee = user_employee(user)
    if employee is None or not roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP}:
        return False
    if client.responsible_id == employee.pk:
        return True
    from kam.deals.models import Deal

    return Deal.objects.filter(client=client, owner=employee).exists()


def can_withdraw_application(user: AnyUser, application: Any) -> bool:
    if Role.DIRECTOR in user_roles(user):
        return True
    employee = user_employee(user)
    return employee is not None and employee.pk == application.applicant_id


def can_change_committee_settings(user: AnyUser) -> bool:
    return Role.DIRECTOR in user_roles(user)


def can_revoke_credit_decision(user: AnyUser) -> bool:
    if Role.DIRECTOR in user_roles(user):
        return True
    from kam.credit.services import committee_chair

    employee = user_employee(user)
    chair = committee_chair()
    return employee is not None and chair is not None and employee.pk == chair.pk


# Prospects and deals: sales reps own them (key-account staff own deals of their key accounts,
# never prospects); the pipeline is read by whoever reads every client; others see their own
# and those of the clients they keep.
PIPELINE_EDITORS = {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD}


def deal_scope(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if bool(user_roles(user) & READ_ALL):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    return queryset.filter(Q(owner=employee) | Q(client__responsible=employee))


def prospect_scope(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    if bool(user_roles(user) & READ_ALL):
        return queryset
    employee = user_employee(user)
    if employee is None or not can_use_app(user):
        return queryset.none()
    return queryset.filter(owner=employee)


def can_work_deals(user: AnyUser) -> bool:
    """Create deals and prospects at all: sales reps, key-account managers (deals of their own
    accounts), the key-account head and the director."""
    return bool(
        user_roles(user)
        & {Role.DIRECTOR, Role.KEY_ACCOUNT_HEAD, Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP}
    )


def can_edit_deal(user: AnyUser, deal: Any) -> bool:
    """The deal's owner, the key-account head (for the department's deals) and the director."""
    roles = user_roles(user)
    if Role.DIRECTOR in roles:
        return True
    employee = user_employee(user)
    if employee is None:
        return False
    if employee.pk == deal.owner_id and roles & {Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP}:
        return True
    from kam.organization.choices import DepartmentKind

    return (
        Role.KEY_ACCOUNT_HEAD in roles and deal.owner.department.kind == DepartmentKind.KEY_ACCOUNTS
    )


def can_edit_prospect(user: AnyUser, prospect: Any) -> bool:
    roles = user_roles(user)
    if Role.DIRECTOR in roles:
        return True
    employee = user_employee(user)
    return employee is not None and employee.pk == prospect.owner_id and Role.SALES_REP in roles


def applies_for_credit(user: AnyUser) -> bool:
    """Whoever applies to the credit committee at all (``can_apply_for_credit`` decides per
    client): the director, the key-account head, key-account managers and sales reps."""
    return bool(user_roles(user) & (CREDIT_APPLICANTS | {Role.KEY_ACCOUNT_MANAGER, Role.SALES_REP}))


def credit_client_scope(user: AnyUser, queryset: QuerySet[Client]) -> QuerySet[Client]:
    """The clients ``user`` may apply for credit for (as ``can_apply_for_credit``): every one
    for the director and the key-account head, else those they keep or have a deal with."""
    if user_roles(user) & CREDIT_APPLICANTS:
        return queryset
    employee = user_employee(user)
    if employee is None or not applies_for_credit(user):
        return queryset.none()
    from kam.deals.models import Deal

    own_deals = Deal.objects.filter(owner=employee, client__isnull=False).values("client_id")
    return queryset.filter(Q(responsible=employee) | Q(pk__in=own_deals))
