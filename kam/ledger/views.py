"""Registering a sale in kam (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from kam.web import access


@login_required
def sale_register_view(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_object_or_404(access.client_scope(request.user), pk=client_pk)
    return redirect("clients:detail", pk=client.pk)
