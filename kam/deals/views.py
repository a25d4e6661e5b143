"""The pipeline and prospects pages (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kam.deals.models import Deal, Prospect
from kam.web import access


def _require(request: HttpRequest) -> None:
    if not access.can_use_app(request.user):
        raise PermissionDenied


@login_required
def pipeline_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    deals = access.deal_scope(request.user, Deal.objects.all())[:200]
    return render(request, "deals/stub.html", {"items": deals, "nav": "deals"})


@login_required
def deal_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    deal = get_object_or_404(access.deal_scope(request.user, Deal.objects.all()), pk=pk)
    return render(request, "deals/stub.html", {"items": [deal], "nav": "deals"})


@login_required
def prospect_list_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    prospects = access.prospect_scope(request.user, Prospect.objects.all())[:200]
    return render(request, "deals/stub.html", {"items": prospects, "nav": "deals"})


@login_required
def prospect_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    prospect = get_object_or_404(access.prospect_scope(request.user, Prospect.objects.all()), pk=pk)
    return render(request, "deals/stub.html", {"items": [prospect], "nav": "deals"})
