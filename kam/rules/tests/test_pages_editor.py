"""The rule editor: editors write a new rule (a draft, version 1) and new versions; a condition
that does not parse, names an unknown fact or is not true/false is refused with the parser's
message next to the condition and nothing is written; the check button; the fact catalogue;
non-editors are refused every editor URL."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from kam.audit.models import AuditEntry
from kam.rules.choices import RuleKind, Severity, Subprocess, VersionState
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import VersionInput, version_save
from kam.rules.tests.pages_helpers import DEFERRED_RULE, logged_in, version_post
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company

EDITORS = ["alice", "grace"]
NOT_EDITORS = ["bob", "charlie", "dave", "erin", "frank", "heidi", "ivan"]


def new_rule_post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "deferred_over_twenty_days",
        "subject_type": "sales_document",
        "title_ru": "Отсрочка дольше 20 дней — только по решению комитета",
        "title_en": "Deferral over 20 days only with a committee decision",
        "description_ru": "",
        "description_en": "Longer than {max_days} days needs a decision.",
        "message_ru": "",
        "message_en": "{payment_terms_days} days without a decision.",
        "subprocess": Subprocess.DEAL,
        "kind": RuleKind.MANDATORY,
        "severity": Severity.HIGH,
        "parameters": "max_days = 20",
        "condition": "payment_terms_days > max_days AND NOT has_valid_credit_decision",
        "violator": "seller_id",
        "period": "",
        "handler_role": "department_head",
        "response_days": "7",
        "default_sanction": "",
        "override_roles": ["director"],
        "notes": "",
    }
    data.update(changes)
    return data


def errors_of(html: str, field: str) -> str:
    """The text of the error block next to ``field`` ("" without one)."""
    match = re.search(rf'id="{field}-errors"[^>]*>(.*?)</div>\s*</div>', html, re.S)
    if match is None:
        return ""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


@pytest.mark.parametrize("who", EDITORS)
def test_an_editor_creates_a_rule_as_a_draft_version_1(company: Company, who: str) -> None:
    browser = logged_in(company, who)
    assert browser.get(reverse("rules:new")).status_code == 200
    response = browser.post(reverse("rules:new"), new_rule_post())
    rule = Rule.objects.get(code="deferred_over_twenty_days")
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:dry_run", args=[rule.code, 1])
    version = rule.versions.get()
    assert (version.number, version.state) == (1, VersionState.DRAFT)
    assert rule.enabled_version is None  # not in force until enabled
    assert rule.subject_type == "sales_document" and rule.created_by == company.users[who]
    assert version.parameters == {"max_days": 20}
    assert version.override_roles == ["director"] and version.response_days == 7
    assert AuditEntry.objects.filter(action="rules.rule_created", summary=rule.code).exists()
    page = browser.get(reverse("rules:detail", args=[rule.code])).content.decode()
    assert "switched off" in page and "a draft: it is not in force" in page
    assert "Longer than 20 days needs a decision." in page  # the parameter filled in


def test_a_new_version_starts_from_the_enabled_one_and_is_a_draft(company: Company) -> None:
    rule = Rule.objects.get(code=DEFERRED_RULE)
    enabled = rule.enabled_version
    assert enabled is not None
    browser = logged_in(company, "grace")
    form = browser.get(reverse("rules:version_new", args=[rule.code])).content.decode()
    assert "New version 2" in form
    assert enabled.condition.replace(">", "&gt;").replace("<", "&lt;") in form
    data = version_post(
        enabled,
        condition="payment_terms_days > max_days AND NOT has_valid_credit_decision",
        parameters="max_days = 14",
        notes="Short deferrals need no decision.",
    )
    response = browser.post(reverse("rules:version_new", args=[rule.code]), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:dry_run", args=[rule.code, 2])
    new = rule.versions.get(number=2)
    assert new.state == VersionState.DRAFT and new.parameters == {"max_days": 14}
    assert new.notes == "Short deferrals need no decision."
    rule.refresh_from_db()
    assert rule.enabled_version_id == enabled.pk  # still version 1 until enabled


def test_a_new_version_says_what_changed(company: Company) -> None:
    rule = Rule.objects.get(code=DEFERRED_RULE)
    assert rule.enabled_version is not None
    response = logged_in(company, "alice").post(
        reverse("rules:version_new", args=[rule.code]), version_post(rule.enabled_version)
    )
    assert response.status_code == 400
    assert "This field is required." in errors_of(response.content.decode(), "notes")
    assert rule.versions.count() == 1


BAD_CONDITIONS = [
    # (condition, what the parser's message says)
    ("payment_terms_days >", "does not parse"),
    (
        "payment_terms_dayz > 0",
        "Unknown fact or parameter 'payment_terms_dayz'. Did you mean 'payment_terms_days'?",
    ),
    ("payment_terms_days + 1", "must be true or false"),
    ("", "This field is required."),
]


@pytest.mark.parametrize(("condition", "message"), BAD_CONDITIONS)
def test_a_bad_condition_is_refused_next_to_the_condition_and_nothing_is_written(
    company: Company, condition: str, message: str
) -> None:
    browser = logged_in(company, "grace")
    versions = RuleVersion.objects.count()
    response = browser.post(reverse("rules:new"), new_rule_post(condition=condition))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in errors_of(html, "condition")
    assert errors_of(html, "parameters") == ""
    assert not Rule.objects.filter(code="deferred_over_twenty_days").exists()
    rule = Rule.objects.get(code=DEFERRED_RULE)
    assert rule.enabled_version is not None
    response = browser.post(
        reverse("rules:version_new", args=[rule.code]),
        version_post(rule.enabled_version, condition=condition, notes="A try."),
    )
    assert response.status_code == 400
    assert message in errors_of(response.content.decode(), "condition")
    assert RuleVersion.objects.count() == versions


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ("max days = 20", "Line 1: write “name = number”"),
        ("max_days = twenty", "Line 1: twenty is not a number."),
        ("max_days = 20\nmax_days = 30", "Line 2: max_days is given twice."),
        ("payment_terms_days = 20", "has the name of a fact of this subject"),
        ("Max_Days = 20", "small Latin letters"),
    ],
)
def test_bad_parameters_are_refused_next_to_the_parameters(
    company: Company, parameters: str, message: str
) -> None:
    response = logged_in(company, "grace").post(
        reverse("rules:new"), new_rule_post(parameters=parameters)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in errors_of(html, "parameters")
    assert errors_of(html, "condition") == ""
    assert not Rule.objects.filter(code="deferred_over_twenty_days").exists()


def test_a_decimal_comma_and_comments_are_read_in_parameters(company: Company) -> None:
    response = logged_in(company, "grace").post(
        reverse("rules:new"),
        new_rule_post(parameters="# the longest deferral without a decision\nmax_days = 20,5"),
    )
    assert response.status_code == 302
    assert RuleVersion.objects.get(rule__code="deferred_over_twenty_days").parameters == {
        "max_days": 20.5
    }


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("audit", "is the name of a rulebook page"),
        (DEFERRED_RULE, "A rule with this code exists."),
        ("Bad Code", "small Latin letters"),
    ],
)
def test_a_code_that_cannot_be_used_is_refused(company: Company, code: str, message: str) -> None:
    response = logged_in(company, "alice").post(reverse("rules:new"), new_rule_post(code=code))
    assert response.status_code == 400
    assert message in errors_of(response.content.decode(), "code")


def test_a_violator_not_of_the_subject_is_refused(company: Company) -> None:
    response = logged_in(company, "alice").post(
        reverse("rules:new"), new_rule_post(violator="owner_id")
    )
    assert response.status_code == 400
    assert "Select a valid choice" in errors_of(response.content.decode(), "violator")


def test_a_recommendation_keeps_no_override_roles(company: Company) -> None:
    response = logged_in(company, "grace").post(
        reverse("rules:new"),
        new_rule_post(kind=RuleKind.RECOMMENDATION, override_roles=["director", "analyst"]),
    )
    assert response.status_code == 302
    version = RuleVersion.objects.get(rule__code="deferred_over_twenty_days")
    assert version.kind == RuleKind.RECOMMENDATION and version.override_roles == []


def test_a_draft_is_rewritten_in_place_an_enabled_version_is_not(company: Company) -> None:
    rule = Rule.objects.get(code=DEFERRED_RULE)
    enabled = rule.enabled_version
    assert enabled is not None
    draft = version_save(
        rule=rule,
        data=VersionInput.of(enabled),
        user=company.users["grace"],
    )
    browser = logged_in(company, "grace")
    url = reverse("rules:version_edit", args=[rule.code, draft.number])
    assert "Rewrite draft version 2" in browser.get(url).content.decode()
    response = browser.post(
        url, version_post(draft, severity=Severity.CRITICAL, notes="Critical from now on.")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.severity == Severity.CRITICAL and rule.versions.count() == 2
    # The enabled version is kept as it is: its editor URL opens a new version from it.
    response = browser.get(reverse("rules:version_edit", args=[rule.code, enabled.number]))
    assert response.status_code == 302
    assert response["Location"] == reverse("rules:version_new", args=[rule.code]) + "?from=1"


# --- The check button and the fact catalogue ---------------------------------------------------


def check(browser: Browser, **data: str) -> str:
    response = browser.post(reverse("rules:check"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_check_says_ok_with_the_facts_and_parameters_in_use(company: Company) -> None:
    versions = RuleVersion.objects.count()
    html = check(
        logged_in(company, "grace"),
        subject_type="sales_document",
        condition="payment_terms_days > max_days AND NOT has_valid_credit_decision",
        parameters="max_days = 14\nspare = 1",
    )
    assert 'data-ok="true"' in html
    assert "payment_terms_days" in html and "has_valid_credit_decision" in html
    assert "max_days = 14" in html
    assert "Given but not used:" in html and "spare" in html
    assert RuleVersion.objects.count() == versions  # nothing saved


@pytest.mark.parametrize(("condition", "message"), BAD_CONDITIONS[:3])
def test_the_check_gives_the_parsers_message(
    company: Company, condition: str, message: str
) -> None:
    html = check(
        logged_in(company, "alice"), rule=DEFERRED_RULE, condition=condition, parameters=""
    )
    assert 'data-ok="false"' in html and 'data-where="condition"' in html
    assert message in html.replace("&#x27;", "'")


def test_the_check_blames_the_parameters_when_they_are_wrong(company: Company) -> None:
    html = check(
        logged_in(company, "alice"),
        subject_type="sales_document",
        condition="payment_terms_days > amount",
        parameters="amount = 5",
    )
    assert 'data-where="parameters"' in html and "has the name of a fact" in html
    html = check(
        logged_in(company, "alice"), subject_type="", condition="amount > 0", parameters=""
    )
    assert "Choose the subject first" in html


def test_the_fact_catalogue_follows_the_subject(company: Company) -> None:
    browser = logged_in(company, "grace")
    html = browser.get(
        reverse("rules:facts"), {"subject_type": "development_plan"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-subject="development_plan"' in html
    assert 'data-insert="payment_terms_days"' not in html
    assert 'id="violator-slot" hx-swap-oob="true"' in html
    assert 'value="owner_id"' in html  # the plan's people are the violator's choices
    sales = browser.get(reverse("rules:facts"), {"subject_type": "sales_document"}).content.decode()
    assert 'data-insert="payment_terms_days"' in sales and 'value="seller_id"' in sales
    editor = browser.get(reverse("rules:new"), {"subject": "sales_document"}).content.decode()
    assert 'data-insert="has_valid_credit_decision"' in editor


# --- Who may edit -----------------------------------------------------------------------------


def editor_urls() -> list[tuple[str, str, dict[str, Any]]]:
    """Every URL only editors may use: (method, url, data)."""
    rule = DEFERRED_RULE
    return [
        ("get", reverse("rules:new"), {}),
        ("post", reverse("rules:new"), new_rule_post()),
        ("get", reverse("rules:version_new", args=[rule]), {}),
        ("post", reverse("rules:version_new", args=[rule]), {}),
        ("get", reverse("rules:version_edit", args=[rule, 1]), {}),
        ("post", reverse("rules:check"), {"rule": rule, "condition": "amount > 0"}),
        ("get", reverse("rules:facts"), {"subject_type": "client"}),
        ("get", reverse("rules:dry_run", args=[rule, 1]), {}),
        ("post", reverse("rules:dry_run", args=[rule, 1]), {}),
        ("get", reverse("rules:version_enable", args=[rule, 1]), {}),
        ("post", reverse("rules:version_enable", args=[rule, 1]), {}),
        ("get", reverse("rules:disable", args=[rule]), {}),
        ("post", reverse("rules:disable", args=[rule]), {"reason": "No."}),
        ("get", reverse("rules:audit_run"), {}),
        ("post", reverse("rules:audit_run"), {"as_of": "2026-01-01"}),
    ]


@pytest.mark.parametrize("who", NOT_EDITORS)
def test_every_editor_url_refuses_those_who_do_not_edit(company: Company, who: str) -> None:
    browser = logged_in(company, who)
    versions = RuleVersion.objects.count()
    for method, url, data in editor_urls():
        assert getattr(browser, method)(url, data).status_code == 403, (method, url)
    assert RuleVersion.objects.count() == versions
    assert Rule.objects.get(code=DEFERRED_RULE).enabled_version is not None


def test_every_editor_url_sends_strangers_to_log_in(company: Company) -> None:
    browser = Browser()
    for method, url, data in editor_urls():
        response = getattr(browser, method)(url, data)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_readers_see_no_edit_buttons(company: Company) -> None:
    url = reverse("rules:detail", args=[DEFERRED_RULE])
    reader = logged_in(company, "erin").get(url).content.decode()
    editor = logged_in(company, "grace").get(url).content.decode()
    for button in ('id="new-version"', 'id="disable-rule"', "/dry-run/", "/versions/1/edit/"):
        assert button not in reader
    for button in ('id="new-version"', 'id="disable-rule"', "/dry-run/"):
        assert button in editor
    listing = logged_in(company, "frank").get(reverse("rules:list")).content.decode()
    assert 'id="new-rule"' not in listing and 'id="run-audit"' not in listing
