"""The rulebook's pages (being built)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kam.rules.models import Rule
from kam.web import access


@login_required
def rule_list_view(request: HttpRequest) -> HttpResponse:
    if not access.can_view_rules(request.user):
        raise PermissionDenied
    rules = Rule.objects.select_related("enabled_version")
    return render(request, "rules/list.html", {"rules": rules, "nav": "rules"})
