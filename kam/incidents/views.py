"""Incident pages (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kam.incidents.models import Incident
from kam.web import access


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    if not access.can_use_app(request.user):
        raise PermissionDenied
    incidents = access.incident_scope(request.user, Incident.objects.all())[:100]
    return render(request, "incidents/inbox.html", {"incidents": incidents, "nav": "incidents"})
