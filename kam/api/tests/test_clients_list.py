"""GET /api/clients: the caller's clients, through the same filter set as the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.api.schemas import ClientOrdering
from kam.api.tests.conftest import Company, MakeClient
from kam.clients.filters import ClientFilterSet
from kam.clients.models import Client

pytestmark = pytest.mark.django_db


def codes(body: dict[str, Any]) -> list[str]:
    return [item["code"] for item in body["items"]]


def test_it_shows_a_key_account_manager_only_their_clients(
    company: Company, bearer: MakeClient
) -> None:
    body = bearer("charlie").get("/api/clients").json()
    assert body["count"] == 1 and codes(body) == ["C1"]


def test_it_shows_the_director_every_client(company: Company, bearer: MakeClient) -> None:
    body = bearer("alice").get("/api/clients").json()
    assert body["count"] == 3
    assert codes(body) == ["C2", "C3", "C1"], "sorted by name: АО, ИП, ООО"


def test_it_lets_the_auditor_read_every_client(company: Company, bearer: MakeClient) -> None:
    assert bearer("frank").get("/api/clients").json()["count"] == 3


def test_it_refuses_a_user_without_a_role(company: Company, bearer: MakeClient) -> None:
    response = bearer("ivan").get("/api/clients")
    assert response.status_code == 403
    assert response.json() == {"detail": "Your account has no role in kam yet."}


def test_it_describes_each_client(company: Company, bearer: MakeClient) -> None:
    body = bearer("charlie").get("/api/clients").json()
    assert body["items"] == [
        {
            "id": company.clients["C1"].pk,
            "code": "C1",
            "name": "ООО «Ромашка»",
            "tax_id": "7707083893",
            "status": "key",
            "industry": "Розница",
            "region": "Москва",
            "group_code": None,
            "responsible": {
                "id": company.employees["charlie"].pk,
                "code": "E3",
                "name": "Чарли Ключевой",
            },
            "revenue_12m": 1700.0,
        }
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=key", ["C1"]),
        ("region=Москва", ["C1"]),
        ("q=ромаш", ["C1"]),
        ("q=c2", ["C2"]),
        ("department=key_accounts", ["C2", "C1"]),
        ("ordering=-code", ["C3", "C2", "C1"]),
        ("ordering=code&limit=1&offset=1", ["C2"]),
    ],
)
def test_it_filters_and_sorts_like_the_page(
    company: Company, bearer: MakeClient, query: str, expected: list[str]
) -> None:
    response = bearer("alice").get(f"/api/clients?{query}")
    assert response.status_code == 200, response.json()
    assert codes(response.json()) == expected


def test_it_filters_by_the_responsible_employee(company: Company, bearer: MakeClient) -> None:
    dave = company.employees["dave"].pk
    assert codes(bearer("alice").get(f"/api/clients?responsible={dave}").json()) == ["C2"]


def test_it_counts_all_pages(company: Company, bearer: MakeClient) -> None:
    body = bearer("alice").get("/api/clients?limit=1").json()
    assert body["count"] == 3 and len(body["items"]) == 1


def test_an_unknown_filter_value_finds_nothing(company: Company, bearer: MakeClient) -> None:
    """Not every client: filters match exactly, including values no client has (yet)."""
    response = bearer("alice").get("/api/clients?region=Атлантида")
    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "query", ["status=vip", "limit=0", "limit=501", "offset=-1", "responsible=x", "ordering=id"]
)
def test_it_refuses_malformed_parameters(company: Company, bearer: MakeClient, query: str) -> None:
    response = bearer("alice").get(f"/api/clients?{query}")
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], list)


def test_it_does_not_query_per_client(company: Company, bearer: MakeClient) -> None:
    client = bearer("alice")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/clients").status_code == 200
        return len(captured)

    queries()  # the first call also records the token's use
    before = queries()
    for n in range(10):
        Client.objects.create(code=f"X{n}", name=f"X{n}", responsible=company.employees["dave"])
    assert queries() == before


def test_its_sort_keys_are_those_of_the_filter_set() -> None:
    choices = {value for value, _label in ClientFilterSet.base_filters["ordering"].extra["choices"]}
    assert {o.value for o in ClientOrdering} == choices
