"""The catalogue of sanctions: read by everyone the incidents concern, changed by the director
(access.can_manage_sanctions) through services.sanction_kind_save; a kind a decision applied or
a rule names is taken out of use, never deleted."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.incidents import services
from kam.incidents.forms import SanctionKindForm
from kam.incidents.models import Sanction, SanctionKind
from kam.rules.models import RuleVersion
from kam.web import access


def _require_manager(request: HttpRequest) -> None:
    access.require_role(request)
    if not access.can_manage_sanctions(request.user):
        raise PermissionDenied(_("The catalogue of sanctions is changed by the sales director."))


@login_required
def sanction_list_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    applied = dict(Sanction.objects.values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    defaults = dict(
        RuleVersion.objects.filter(default_sanction__isnull=False)
        .values("default_sanction")
        .annotate(n=Count("rule", distinct=True))
        .values_list("default_sanction", "n")
    )
    kinds = [
        {"kind": kind, "applied": applied.get(kind.pk, 0), "rules": defaults.get(kind.pk, 0)}
        for kind in SanctionKind.objects.all()
    ]
    context = {
        "kinds": kinds,
        "can_manage": access.can_manage_sanctions(request.user),
        "nav": "incidents",
    }
    return render(request, "incidents/sanctions.html", context)


def _save(request: HttpRequest, form: SanctionKindForm, kind: SanctionKind | None) -> bool:
    """Save through the service; its refusals go beside their fields."""
    data = form.cleaned_data
    try:
        services.sanction_kind_save(
            kind=kind,
            user=request.user,
            code=data.get("code") if kind is None else None,
            name_ru=data["name_ru"],
            name_en=data["name_en"],
            measure=data["measure"],
            is_sanction=data["is_sanction"],
            position=data["position"],
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                for item in errors:
                    form.add_error(name if name in form.fields else None, item.messages)
        else:
            form.add_error(None, error.messages)
        return False
    return True


@login_required
def sanction_add_view(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = SanctionKindForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        messages.success(request, _("The sanction is added to the catalogue."))
        return redirect("incidents:sanctions")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "kind": None, "nav": "incidents"}
    return render(request, "incidents/sanction_form.html", context, status=status)


@login_required
def sanction_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    kind = get_object_or_404(SanctionKind, pk=pk)
    form = SanctionKindForm(request.POST or None, instance=kind)
    if request.method == "POST" and form.is_valid() and _save(request, form, kind):
        messages.success(request, _("The sanction is saved."))
        return redirect("incidents:sanctions")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "kind": kind,
        "used": services.sanction_kind_in_use(kind),
        "nav": "incidents",
    }
    return render(request, "incidents/sanction_form.html", context, status=status)


@login_required
@require_POST
def sanction_use_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a kind out of use (decisions no longer offer it) or back into use."""
    _require_manager(request)
    kind = get_object_or_404(SanctionKind, pk=pk)
    active = request.POST.get("active") == "1"
    services.sanction_kind_save(kind=kind, user=request.user, is_active=active)
    if active:
        messages.success(request, _("“%(name)s” is in use again.") % {"name": kind.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is out of use: decisions no longer offer it; past ones keep it.")
            % {"name": kind.name},
        )
    return redirect("incidents:sanctions")


@login_required
@require_POST
def sanction_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    kind = get_object_or_404(SanctionKind, pk=pk)
    name = kind.name
    try:
        services.sanction_kind_delete(kind=kind, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is removed from the catalogue.") % {"name": name})
    return redirect("incidents:sanctions")
