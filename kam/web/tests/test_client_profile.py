"""Collected profile facts: the responsible manager edits them, with an audit row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as Browser
from django.urls import reverse

from kam.audit.models import AuditEntry
from kam.clients.services import client_profile_update
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def test_the_responsible_manager_collects_facts(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["charlie"])
    client = company.clients["C1"]
    response = browser.post(
        reverse("clients:profile_edit", args=[client.pk]),
        {
            "tax_id": "7707083893",
            "industry": "Розница",
            "region": "Тверь",
            "employees": "250",
            "annual_revenue": "1000000",
            "purchase_potential": "5 000 000".replace(" ", ""),
        },
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.region, client.employees, client.purchase_potential) == (
        "Тверь",
        250,
        Decimal("5000000"),
    )
    entry = AuditEntry.objects.get(action="client.profile_updated")
    assert entry.actor == company.users["charlie"]
    assert entry.data["region"] == {"before": "Москва", "after": "Тверь"}


def test_a_negative_potential_is_explained_not_saved(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["alice"])
    client = company.clients["C2"]
    response = browser.post(
        reverse("clients:profile_edit", args=[client.pk]),
        {"region": "Казань", "purchase_potential": "-5"},
    )
    assert response.status_code == 400
    assert "purchase_potential" in response.context["form"].errors
    client.refresh_from_db()
    assert client.purchase_potential is None


def test_the_auditor_changes_nothing(company: Company) -> None:
    with pytest.raises(PermissionDenied):
        client_profile_update(
            client=company.clients["C1"], user=company.users["frank"], region="Тверь"
        )
