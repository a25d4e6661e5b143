"""The credit committee's pages (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kam.credit.models import CreditApplication
from kam.web import access


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    if not access.can_use_app(request.user):
        raise PermissionDenied
    items = access.credit_application_scope(request.user, CreditApplication.objects.all())[:200]
    return render(request, "credit/stub.html", {"items": items, "nav": "credit"})


@login_required
def application_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not access.can_use_app(request.user):
        raise PermissionDenied
    application = get_object_or_404(
        access.credit_application_scope(request.user, CreditApplication.objects.all()), pk=pk
    )
    return render(request, "credit/stub.html", {"items": [application], "nav": "credit"})
