"""The key-account department's pages: the board, my key accounts, one handover.

Handing over (one account or many) is in handover_views, the history list in history_views,
the workload limits in workload_views. Every permission is asked of kam.web.access.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.keyaccounts import selectors
from kam.keyaccounts.display import briefing_date, briefing_sections
from kam.keyaccounts.models import Handover
from kam.keyaccounts.services import handover_acknowledge, load_of
from kam.planning.selectors import MISSING
from kam.planning.services import current_period
from kam.web import access


def require_department_view(request: HttpRequest) -> None:
    if not access.can_view_department(request.user):
        raise PermissionDenied(
            _("The key-account department's pages are for those who see every client.")
        )


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    """Gaps, handovers waiting for their receiver, separation conflicts, then each manager's
    load and accounts. A key-account manager is sent to their own accounts."""
    if not access.can_view_department(request.user) and access.has_key_accounts_page(request.user):
        return redirect("keyaccounts:mine")
    require_department_view(request)
    board = selectors.board()
    clients = [
        *(account.client for column in board.managers for account in column.accounts),
        *(gap.client for gap in board.gaps),
        *(conflict.client for conflict in board.conflicts),
    ]
    context = {
        "board": board,
        "hand_over": {c.pk for c in clients if access.can_hand_over(request.user, c)},
        "propose": _may_propose(request, [a for column in board.managers for a in column.accounts]),
        "can_manage": access.can_manage_department(request.user),
        "has_own_page": access.has_key_accounts_page(request.user),
        "over_limit": sum(1 for column in board.managers if column.over_limit),
        "nav": "keyaccounts",
    }
    return render(request, "keyaccounts/board.html", context)


def _may_propose(request: HttpRequest, accounts: list[selectors.Account]) -> set[int]:
    """The key accounts without a plan for the period that the user may propose one for."""
    return {
        a.client.pk
        for a in accounts
        if a.plan_state == MISSING
        and a.client.responsible_id is not None
        and access.can_create_plan(request.user, a.client)
    }


@login_required
def mine_view(request: HttpRequest) -> HttpResponse:
    """A key-account manager's own accounts (the head's too), handovers to acknowledge first."""
    if not access.has_key_accounts_page(request.user):
        raise PermissionDenied(_("This page is for the key-account department's managers."))
    employee = access.user_employee(request.user)
    context: dict[str, Any] = {
        "employee": employee,
        "today": timezone.localdate(),
        "nav": "keyaccounts",
        "can_view_department": access.can_view_department(request.user),
    }
    if employee is not None:
        load = load_of(employee)
        accounts = selectors.my_accounts(employee)
        context.update(
            {
                "accounts": accounts,
                "propose": _may_propose(request, accounts),
                "plan_period": current_period(timezone.localdate()),
                "pending": list(selectors.pending_for(employee)),
                "load": load,
                "over": selectors.ManagerColumn(employee, [], load).over_limit,
            }
        )
    return render(request, "keyaccounts/mine.html", context)


@login_required
def handover_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One handover: who to whom, why, the notes and the briefing kept from its day."""
    access.require_role(request)
    handover = get_object_or_404(
        Handover.objects.select_related(
            "client",
            "from_manager__department",
            "to_manager__department",
            "created_by__employee",
            "acknowledged_by__employee",
        ),
        pk=pk,
    )
    if not access.can_view_handover(request.user, handover):
        raise PermissionDenied(_("You may not see this handover."))
    context = {
        "handover": handover,
        "sections": briefing_sections(handover.briefing),
        "briefing_date": briefing_date(handover.briefing),
        "can_acknowledge": handover.acknowledged_at is None
        and access.can_acknowledge_handover(request.user, handover),
        "can_view_client": access.can_view_client(request.user, handover.client),
        "can_view_department": access.can_view_department(request.user),
        "nav": "keyaccounts",
    }
    return render(request, "keyaccounts/handover_detail.html", context)


@login_required
@require_POST
def handover_acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiver confirms they took the account over (back to their accounts or the page)."""
    access.require_role(request)
    handover = get_object_or_404(Handover.objects.select_related("client"), pk=pk)
    if not access.can_acknowledge_handover(request.user, handover):
        raise PermissionDenied(_("Only the receiver acknowledges a handover."))
    handover_acknowledge(handover=handover, user=request.user)
    messages.success(
        request,
        _("You have taken over %(client)s.") % {"client": handover.client.name},
    )
    if request.POST.get("next") == "mine" and access.has_key_accounts_page(request.user):
        return redirect("keyaccounts:mine")
    return redirect("keyaccounts:handover_detail", pk=handover.pk)
