"""The committee's inbox: each member finds what awaits their vote (with the facts as filed),
then every application — pending first, then the recently decided; applicants see theirs; the
filters, sorting and export; the same number of queries for few rows as for many."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.credit.choices import VoteChoice
from kam.credit.models import CreditApplication
from kam.credit.testing import Committee
from kam.credit.tests.pages import application_filed, browser_for, voted

pytestmark = pytest.mark.django_db
INBOX = reverse("credit:inbox")


@pytest.fixture
def filed(committee: Committee) -> dict[str, CreditApplication]:
    """erin's application for C1 (everyone votes; mike has), alice's for N1 (nina may not vote),
    charlie's for K1 (decided: approved by mike and nina)."""
    c1 = application_filed(committee)
    voted(committee, c1, "mike")
    n1 = application_filed(committee, client="N1", login="alice", requested_limit="200000")
    k1 = application_filed(committee, client="K1", login="charlie", requested_limit="900000")
    voted(committee, k1, "mike")
    voted(committee, k1, "nina", VoteChoice.APPROVE_REDUCED, terms_days="30")
    return {"C1": c1, "N1": n1, "K1": k1}


def inbox(committee: Committee, login: str, query: str = "") -> Any:
    response = browser_for(committee, login).get(INBOX + query)
    assert response.status_code == 200
    return response


def awaiting(response: Any) -> list[int]:
    return [item["application"].pk for item in response.context["awaiting"]]


def listed(response: Any) -> list[int]:
    return [a.pk for a in response.context["page"].object_list]


def test_each_member_finds_what_awaits_their_vote(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    c1, n1, k1 = filed["C1"], filed["N1"], filed["K1"]
    # The oldest first: cora has both pending; mike voted on C1; nina keeps N1 (a conflict)
    assert awaiting(inbox(committee, "cora")) == [c1.pk, n1.pk]
    assert awaiting(inbox(committee, "mike")) == [n1.pk]
    assert awaiting(inbox(committee, "nina")) == [c1.pk]
    response = inbox(committee, "cora")
    html = response.content.decode()
    card = html[html.index(f'id="awaiting-{c1.pk}"') : html.index(f'id="awaiting-{n1.pk}"')]
    assert "ООО «Ромашка»" in card and "Регулярные закупки" in card
    assert "500" in card and "45 days" in card
    assert "1 of 2 approvals" in card and "1/3 voted" in card
    assert 'data-fact="unpaid">100' in card and "the oldest 40 days late" in card
    assert "Михаил Кредитный" in card  # mike's vote so far
    # Then every application: the pending ones first, then the decided
    assert listed(response) == [n1.pk, c1.pk, k1.pk]
    assert k1.number in html and "Approved" in html


def test_a_member_with_nothing_to_vote_on_is_told_so(committee: Committee) -> None:
    response = inbox(committee, "mike")
    assert response.context["awaiting"] == []
    assert "Nothing awaits your vote." in response.content.decode()


def test_applicants_see_their_applications_and_their_state(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    erin = inbox(committee, "erin")
    assert erin.context["member"] is None
    assert 'id="awaiting"' not in erin.content.decode()
    assert listed(erin) == [filed["C1"].pk]
    assert "Your applications" in erin.content.decode()
    charlie = inbox(committee, "charlie")
    assert listed(charlie) == [filed["K1"].pk]
    assert 'data-state="approved"' in charlie.content.decode()
    # Readers of every client read every application, but have nothing to vote on
    frank = inbox(committee, "frank")
    assert frank.context["member"] is None
    assert sorted(listed(frank)) == sorted(a.pk for a in filed.values())


def test_the_filters_narrow_the_list(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    c1, n1, k1 = filed["C1"], filed["N1"], filed["K1"]
    assert listed(inbox(committee, "alice", "?state=approved")) == [k1.pk]
    assert listed(inbox(committee, "alice", "?q=Ромашка")) == [c1.pk]
    assert listed(inbox(committee, "alice", "?q=n1")) == [n1.pk]  # the client's code
    assert listed(inbox(committee, "alice", f"?q={k1.number}")) == [k1.pk]
    applicant = committee.employees["alice"].pk
    assert listed(inbox(committee, "alice", f"?applicant={applicant}")) == [n1.pk]
    assert listed(inbox(committee, "alice", f"?client={c1.client_id}")) == [c1.pk]
    today = timezone.localdate()
    CreditApplication.objects.filter(pk=c1.pk).update(
        created_at=timezone.now() - dt.timedelta(days=10)
    )
    since = (today - dt.timedelta(days=1)).isoformat()
    assert sorted(listed(inbox(committee, "alice", f"?filed_from={since}"))) == sorted(
        [n1.pk, k1.pk]
    )
    early = (today - dt.timedelta(days=5)).isoformat()
    assert listed(inbox(committee, "alice", f"?filed_to={early}")) == [c1.pk]
    empty = inbox(committee, "alice", "?q=nobody-at-all")
    assert "No application matches." in empty.content.decode()


def test_sorting_by_a_column_and_back(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    by_limit = inbox(committee, "alice", "?sort=limit")
    assert listed(by_limit) == [filed["N1"].pk, filed["C1"].pk, filed["K1"].pk]
    assert by_limit.context["sort_links"]["limit"]["aria"] == "ascending"
    assert "sort=-limit" in by_limit.context["sort_links"]["limit"]["url"]
    assert listed(inbox(committee, "alice", "?sort=-limit")) == [
        filed["K1"].pk,
        filed["C1"].pk,
        filed["N1"].pk,
    ]
    # An unknown sort falls back to pending first
    assert listed(inbox(committee, "alice", "?sort=drop")) == listed(inbox(committee, "alice"))


def test_an_htmx_filter_gets_the_table_only(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    response = browser_for(committee, "alice").get(
        INBOX + "?state=pending", headers={"HX-Request": "true", "HX-Target": "applications"}
    )
    html = response.content.decode()
    assert "<html" not in html and "applications-table" in html
    assert filed["K1"].number not in html


def test_the_export_has_what_the_list_has(
    committee: Committee, filed: dict[str, CreditApplication]
) -> None:
    response = browser_for(committee, "alice").get(
        reverse("credit:applications_export", args=["csv"]) + "?state=approved"
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["number", "filed", "client_code"]
    assert [r[0] for r in rows[1:]] == [filed["K1"].number]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["approvals"] == "2" and row["state"] == "Approved"
    assert row["decision_no"].startswith("CC-") and row["decision_terms_days"] == "30"
    xlsx = browser_for(committee, "erin").get(reverse("credit:applications_export", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (
        browser_for(committee, "alice")
        .get(reverse("credit:applications_export", args=["pdf"]))
        .status_code
        == 404
    )


def queries(browser: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_inbox_does_not_grow_with_its_rows(committee: Committee) -> None:
    """Pinned: a member's inbox (cards and table) costs the same for 2 applications as for 14."""
    from kam.clients.models import Client

    cora = browser_for(committee, "cora")

    def more(start: int, n: int) -> None:
        for i in range(start, start + n):
            client = Client.objects.create(
                code=f"X{i}", name=f"Клиент {i}", responsible=committee.employees["erin"]
            )
            committee.clients[client.code] = client
            application = application_filed(committee, client=client.code, login="erin")
            voted(committee, application, "mike")
            if i % 2:
                voted(committee, application, "nina", VoteChoice.REJECT, comment="Нет.")

    more(0, 2)
    cora.get(INBOX)
    few = queries(cora, INBOX)
    more(2, 12)
    many = queries(cora, INBOX)
    assert many == few
    assert many <= 10, many
