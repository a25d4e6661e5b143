"""The admin shows plans but cannot change them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.urls import reverse

from kam.keyaccounts.testing import department_create
from kam.planning import services

pytestmark = pytest.mark.django_db


def test_the_admin_reads_plans_and_changes_nothing() -> None:
    dept = department_create()
    plan = services.plan_create(client=dept.clients["K1"], user=dept.users["kate"])
    http = HttpClient()
    http.force_login(User.objects.create_superuser("root", password="not-used-1234"))
    page = http.get(reverse("admin:planning_developmentplan_change", args=[plan.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Meeting with the client" in text or "Встреча с клиентом" in text
    assert 'name="state"' not in text
    assert http.get(reverse("admin:planning_developmentplan_add")).status_code == 403
    assert (
        http.post(reverse("admin:planning_developmentplan_delete", args=[plan.pk])).status_code
        == 403
    )
