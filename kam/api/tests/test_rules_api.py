"""/api/rules and /api/rules/audits: the rulebook and the audit through the API, with the same
services as the pages and `kam audit`.

The company of the API tests (conftest) starts with the default rulebook (seeded by a
migration). C1 (charlie's key account) has a credit decision valid from two months ago: its
10-day invoice S2 of about 90 days ago was shipped without one, so the audit finds exactly one
breach of deferred_payment_requires_credit_approval. alice is the director, grace the analyst
(both edit the rulebook), frank the auditor, ivan has no role.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient
from kam.audit.models import AuditEntry
from kam.incidents.models import Incident
from kam.rules.choices import VersionState
from kam.rules.models import AuditRun, Rule, RuleVersion

pytestmark = pytest.mark.django_db

JSON = "application/json"
DEFERRED = "deferred_payment_requires_credit_approval"


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the location after body/payload (or the path) → message."""
    assert response.status_code == 422, response.content
    found = {}
    for item in response.json()["detail"]:
        loc = item["loc"][2:] if item["loc"][:2] == ["body", "payload"] else item["loc"]
        found[".".join(str(part) for part in loc)] = item["msg"]
    return found


def post(api: HttpClient, url: str, body: dict[str, Any] | None = None) -> Any:
    return api.post(url, body or {}, content_type=JSON)


def version_body(**fields: Any) -> dict[str, Any]:
    return {
        "title_ru": "Отсрочка не длиннее 20 дней",
        "title_en": "Deferred payment of 20 days at most",
        "subprocess": "deal",
        "kind": "mandatory",
        "condition": "payment_terms_days > max_days",
        "parameters": {"max_days": 20},
        "message_en": "{payment_terms_days} days of deferred payment (at most {max_days}).",
        "severity": "high",
        "violator": "seller_id",
        "default_sanction": "warning",
        "override_roles": ["director"],
        **fields,
    }


# --- Reading the rulebook ----------------------------------------------------------------------


def test_it_lists_the_rulebook_with_each_rule_s_text_and_active_incidents(
    company: Company, bearer: MakeClient
) -> None:
    call_command("audit", stdout=io.StringIO())
    erin = bearer("erin")
    listed = erin.get("/api/rules", {"limit": 500})
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert body["count"] == Rule.objects.count() == len(body["items"])
    deferred = next(r for r in body["items"] if r["code"] == DEFERRED)
    assert deferred["subject_type"] == "sales_document"
    assert (deferred["enabled"], deferred["enabled_version"], deferred["latest_version"]) == (
        True,
        1,
        1,
    )
    version = deferred["version"]
    assert version["kind"] == "mandatory" and version["subprocess"] == "deal"
    assert version["title"] == "Deferred payment only after a credit-committee decision"
    assert version["condition"].startswith("payment_terms_days > 0")
    assert (version["default_sanction"], version["override_roles"]) == ("warning", ["director"])
    assert deferred["counts"]["active_incidents"] == 1
    assert deferred["counts"]["last_audit_violations"] == 1

    filtered = erin.get(
        "/api/rules", {"subprocess": "deal", "subject": "sales_document", "enabled": "true"}
    ).json()
    assert DEFERRED in [r["code"] for r in filtered["items"]]
    assert {r["subject_type"] for r in filtered["items"]} == {"sales_document"}
    recommendations = erin.get("/api/rules", {"kind": "recommendation"}).json()["items"]
    assert recommendations and {r["version"]["kind"] for r in recommendations} == {"recommendation"}
    assert erin.get("/api/rules", {"enabled": "false"}).json()["count"] == 0
    page = erin.get("/api/rules", {"sort": "code", "limit": "2", "offset": "1"}).json()
    codes = sorted(r.code for r in Rule.objects.all())
    assert [r["code"] for r in page["items"]] == codes[1:3]
    assert erin.get("/api/rules", {"kind": "law"}).status_code == 422


def test_the_rulebook_and_the_runs_read_in_a_fixed_number_of_queries(
    company: Company, bearer: MakeClient
) -> None:
    for _run in range(3):
        call_command("audit", stdout=io.StringIO())
    api = bearer("frank")
    api.get("/api/me")  # the token's first use writes its last-used time
    for url in ("/api/rules", "/api/rules/audits"):
        with CaptureQueriesContext(connection) as one:
            assert api.get(url, {"limit": "1"}).status_code == 200
        with CaptureQueriesContext(connection) as every:
            assert len(api.get(url).json()["items"]) >= 3
        assert len(every) == len(one), url


def test_it_refuses_the_rulebook_to_a_user_without_a_role(
    company: Company, bearer: MakeClient
) -> None:
    assert bearer("ivan").get("/api/rules").status_code == 403
    assert HttpClient().get("/api/rules").status_code == 401
    assert bearer("ivan").get(f"/api/rules/{DEFERRED}").status_code == 403


def test_it_shows_a_rule_with_its_history(company: Company, bearer: MakeClient) -> None:
    detail = bearer("charlie").get(f"/api/rules/{DEFERRED}")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert [(v["number"], v["state"]) for v in body["versions"]] == [(1, "enabled")]
    assert body["versions"][0]["notes"] == "Регламент по умолчанию (default_rulebook.toml)."
    assert body["versions"][0]["dry_run"] is None
    assert bearer("charlie").get("/api/rules/no_such_rule").status_code == 404


def test_it_lists_the_subject_types_with_their_facts_people_and_periods(
    company: Company, bearer: MakeClient
) -> None:
    response = bearer("dave").get("/api/rules/subjects")
    assert response.status_code == 200, response.content
    subjects = {s["code"]: s for s in response.json()}
    document = subjects["sales_document"]
    facts = {f["name"]: f for f in document["facts"]}
    assert facts["payment_terms_days"]["type"] == "integer"
    assert "has_valid_credit_decision" in facts
    assert [p["name"] for p in document["people"]] == ["seller_id", "responsible_id"]
    assert [p["name"] for p in document["periods"]] == ["period_month"]


def test_it_checks_a_condition_without_saving_it(company: Company, bearer: MakeClient) -> None:
    grace = bearer("grace")

    def check(condition: str, **fields: Any) -> dict[str, Any]:
        body = {"subject_type": "sales_document", "condition": condition, **fields}
        response = post(grace, "/api/rules/conditions/check", body)
        assert response.status_code == 200, response.content
        return dict(response.json())

    assert check("payment_terms_days > grace", parameters={"grace": 14}) == {
        "ok": True,
        "message": "",
    }
    unknown = check("payment_terms > 0")
    assert not unknown["ok"]
    assert "Unknown fact or parameter 'payment_terms'" in unknown["message"]
    assert not check("payment_terms_days >")["ok"]
    assert "must be true or false" in check("payment_terms_days + 1")["message"]
    refused = post(
        bearer("charlie"),
        "/api/rules/conditions/check",
        {"subject_type": "client", "condition": "1=1"},
    )
    assert refused.status_code == 403
    assert errors(
        post(
            grace,
            "/api/rules/conditions/check",
            {"subject_type": "no_such_subject", "condition": "1=1"},
        )
    )
    assert errors(
        post(
            grace,
            "/api/rules/conditions/check",
            {"subject_type": "client", "condition": "1", "parameters": {"x": "1"}},
        )
    )


# --- Writing the rulebook ----------------------------------------------------------------------


def test_a_new_rule_is_a_draft_until_a_dry_run_and_enabling(
    company: Company, bearer: MakeClient
) -> None:
    grace = bearer("grace")
    created = post(
        grace,
        "/api/rules",
        {"code": "long_deferred_payment", "subject_type": "sales_document", **version_body()},
    )
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["code"], rule["enabled"], rule["enabled_version"]) == (
        "long_deferred_payment",
        False,
        None,
    )
    assert [(v["number"], v["state"], v["written_by"]) for v in rule["versions"]] == [
        (1, "draft", "grace")
    ]
    assert rule["version"]["parameters"] == {"max_days": 20}

    url = "/api/rules/long_deferred_payment/versions/1"
    dry = post(grace, f"{url}/dry-run")
    assert dry.status_code == 200, dry.content
    figures = dry.json()
    # C1's S1 (30 days) is the one document with terms over 20 days in the last 24 months.
    assert (figures["subjects"], figures["violations"]) == (4, 1)
    assert figures["samples"][0]["subject_key"] == "S1"
    assert figures["samples"][0]["message"] == "30 days of deferred payment (at most 20)."
    assert figures["enabled_version"] is None
    assert sum(m["violations"] for m in figures["months"]) == 1
    kept = RuleVersion.objects.get(rule__code="long_deferred_payment", number=1).dry_run
    assert kept["violations"] == 1

    enabled = post(grace, f"{url}/enable")
    assert enabled.status_code == 200, enabled.content
    assert (enabled.json()["enabled"], enabled.json()["enabled_version"]) == (True, 1)
    assert enabled.json()["versions"][0]["enabled_by"] == "grace"
    again = post(grace, f"{url}/enable")
    assert again.status_code == 409
    assert again.json()["detail"] == "This version is already enabled."
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"rules.rule_created", "rules.version_enabled"} <= actions


def test_it_refuses_a_rule_whose_fields_are_wrong_naming_each_field(
    company: Company, bearer: MakeClient
) -> None:
    alice = bearer("alice")
    body = {"code": "bad_rule", "subject_type": "sales_document"}
    wrong = post(
        alice,
        "/api/rules",
        {
            **body,
            **version_body(
                condition="payment_terms > 0",
                title_en=" ",
                violator="nobody_id",
                kind="recommendation",
            ),
        },
    )
    found = errors(wrong)
    assert found["condition"].startswith("Unknown fact or parameter 'payment_terms'")
    assert found["title_en"] == "Give the rule a title in English."
    assert found["violator"] == "Choose one of the subject's people."
    assert "nobody overrides" in found["override_roles"]
    assert errors(
        post(alice, "/api/rules", {**body, **version_body(default_sanction="flogging")})
    ) == {"default_sanction": "No sanction with this code in the catalogue."}
    assert "code" in errors(
        post(alice, "/api/rules", {**body, **version_body(), "code": "Bad Code"})
    )
    assert "code" in errors(post(alice, "/api/rules", {**body, **version_body(), "code": "audits"}))
    assert "subprocess" in errors(
        post(alice, "/api/rules", {**body, **version_body(subprocess="x")})
    )
    taken = post(alice, "/api/rules", {**body, **version_body(), "code": DEFERRED})
    assert taken.status_code == 409
    assert taken.json() == {"detail": "A rule with this code exists."}
    # Whoever may not write the rulebook is refused before the body is judged.
    assert post(bearer("helen"), "/api/rules", {**body, **version_body()}).status_code == 403
    assert not Rule.objects.filter(code="bad_rule").exists()


def test_editing_an_enabled_rule_writes_a_new_version_and_enabled_ones_never_change(
    company: Company, bearer: MakeClient
) -> None:
    alice = bearer("alice")
    url = f"/api/rules/{DEFERRED}"
    written = post(alice, f"{url}/versions", version_body(notes="Twenty days at most"))
    assert written.status_code == 201, written.content
    rule = written.json()
    assert [(v["number"], v["state"]) for v in rule["versions"]] == [(2, "draft"), (1, "enabled")]
    # The list and the guards still read version 1 until version 2 is enabled.
    assert rule["enabled_version"] == 1 and rule["drafts"] == 1

    rewritten = alice.put(f"{url}/versions/2", version_body(severity="critical"), content_type=JSON)
    assert rewritten.status_code == 200, rewritten.content
    assert rewritten.json()["versions"][0]["severity"] == "critical"
    kept = alice.put(f"{url}/versions/1", version_body(), content_type=JSON)
    assert kept.status_code == 409
    assert kept.json()["detail"] == (
        "Version 1 has been enabled: it is kept as it is; save a new version."
    )
    # 403 comes before the state: a reader is refused whatever the version.
    assert (
        bearer("frank").put(f"{url}/versions/1", version_body(), content_type=JSON).status_code
        == 403
    )
    assert alice.put(f"{url}/versions/9", version_body(), content_type=JSON).status_code == 404
    refused = alice.put(
        f"{url}/versions/2", version_body(parameters={"max_days": True}), content_type=JSON
    )
    assert errors(refused) == {"parameters.max_days": "Value error, Expected a number."}

    dry = post(alice, f"{url}/versions/2/dry-run", {"since": "2000-01-01"})
    assert dry.status_code == 200, dry.content
    figures = dry.json()
    assert (figures["enabled_version"], figures["enabled_violations"]) == (1, 1)
    assert (figures["violations"], figures["only_new"], figures["only_enabled"]) == (1, 1, 1)
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "as_of" in errors(post(alice, f"{url}/versions/2/dry-run", {"as_of": future}))
    assert "since" in errors(
        post(alice, f"{url}/versions/2/dry-run", {"as_of": "2024-01-01", "since": "2024-02-01"})
    )
    assert post(bearer("charlie"), f"{url}/versions/2/dry-run").status_code == 403

    enabled = post(alice, f"{url}/versions/2/enable")
    assert enabled.status_code == 200, enabled.content
    states = [(v["number"], v["state"]) for v in enabled.json()["versions"]]
    assert states == [(2, "enabled"), (1, "retired")]
    assert Rule.objects.get(code=DEFERRED).enabled_version.number == 2  # type: ignore[union-attr]


def test_a_rule_is_switched_off_with_a_reason_and_back_on_by_enabling_a_version(
    company: Company, bearer: MakeClient
) -> None:
    grace = bearer("grace")
    url = f"/api/rules/{DEFERRED}"
    assert errors(post(grace, f"{url}/disable", {"reason": "  "})) == {
        "reason": "Say why the rule is switched off."
    }
    off = post(grace, f"{url}/disable", {"reason": "The committee is on holiday"})
    assert off.status_code == 200, off.content
    assert (off.json()["enabled"], off.json()["version"]["state"]) == (False, "retired")
    again = post(grace, f"{url}/disable", {"reason": "Again"})
    assert again.status_code == 409
    assert again.json()["detail"] == "The rule is already switched off."
    assert post(bearer("helen"), f"{url}/disable", {"reason": "x"}).status_code == 403
    assert post(grace, "/api/rules/no_such_rule/disable", {"reason": "x"}).status_code == 404
    entry = AuditEntry.objects.get(action="rules.rule_disabled")
    assert entry.data["reason"] == "The committee is on holiday"

    back = post(grace, f"{url}/versions/1/enable")
    assert back.status_code == 200, back.content
    assert back.json()["enabled_version"] == 1
    assert RuleVersion.objects.get(rule__code=DEFERRED).state == VersionState.ENABLED


# --- The audit ---------------------------------------------------------------------------------


def test_an_audit_through_the_api_answers_what_kam_audit_prints_and_a_rerun_opens_nothing(
    company: Company, bearer: MakeClient
) -> None:
    grace = bearer("grace")
    ran = post(grace, "/api/rules/audits")
    assert ran.status_code == 201, ran.content
    figures = ran.json()
    printed = io.StringIO()
    call_command("audit", "--json", stdout=printed)
    command = json.loads(printed.getvalue())
    assert set(command) - {"violations_out"} <= set(figures)
    assert figures["by_rule"][DEFERRED] == 1
    assert figures["incidents_opened"] == command["already_open"] > 0
    assert (figures["as_of"], figures["since"]) == (timezone.localdate().isoformat(), None)
    assert figures["rules"] == Rule.objects.exclude(enabled_version=None).count()
    incident = Incident.objects.get(rule__code=DEFERRED)
    assert incident.subject_key == "S2"
    run = AuditRun.objects.get(pk=figures["audit_run"])
    assert (run.trigger, run.run_by) == ("api", company.users["grace"])

    again = post(grace, "/api/rules/audits", {"rule": DEFERRED})
    assert again.status_code == 201, again.content
    assert (again.json()["rules"], again.json()["incidents_opened"]) == (1, 0)
    assert again.json()["already_open"] == 1
    assert Incident.objects.filter(rule__code=DEFERRED).count() == 1

    runs = bearer("erin").get("/api/rules/audits", {"limit": 2})
    assert runs.status_code == 200, runs.content
    assert runs.json()["count"] == 3
    latest = runs.json()["items"][0]
    assert (latest["id"], latest["rule"], latest["trigger"], latest["run_by"]) == (
        again.json()["audit_run"],
        DEFERRED,
        "api",
        "grace",
    )
    assert latest["figures"]["incidents_opened"] == 0
    one = bearer("erin").get(f"/api/rules/audits/{figures['audit_run']}")
    assert one.status_code == 200 and one.json()["figures"]["by_rule"][DEFERRED] == 1
    assert bearer("erin").get("/api/rules/audits/999999").status_code == 404


def test_it_refuses_an_audit_to_those_who_may_not_run_it_and_wrong_dates(
    company: Company, bearer: MakeClient
) -> None:
    assert post(bearer("helen"), "/api/rules/audits").status_code == 403
    assert bearer("ivan").get("/api/rules/audits").status_code == 403
    alice = bearer("alice")
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert "as_of" in errors(post(alice, "/api/rules/audits", {"as_of": future}))
    assert "since" in errors(
        post(alice, "/api/rules/audits", {"as_of": "2025-01-01", "since": "2025-02-01"})
    )
    assert errors(post(alice, "/api/rules/audits", {"rule": "no_such_rule"})) == {
        "rule": "No rule with this code."
    }
    post(alice, f"/api/rules/{DEFERRED}/disable", {"reason": "Test"})
    off = post(alice, "/api/rules/audits", {"rule": DEFERRED})
    assert off.status_code == 409
    assert off.json()["detail"] == f"The rule {DEFERRED} is switched off."
    assert not AuditRun.objects.exists()
