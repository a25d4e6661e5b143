"""Writing the rulebook: a new rule starts as a draft, an enabled version never changes (an edit
is a new version), enabling retires the previous one, switching off needs a reason, and a dry
run shows what a version would have found before it is enabled."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.keyaccounts.testing import Department_, department_create
from kam.planning.tests.ledger import sales_import
from kam.rules.choices import RuleKind, VersionState
from kam.rules.facts import Scope, subject_types
from kam.rules.models import Rule, RuleVersion
from kam.rules.rulebook import load, seed
from kam.rules.services import (
    VersionInput,
    dry_run,
    rule_create,
    rule_disable,
    version_enable,
    version_save,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def dept() -> Department_:
    return department_create()


def big_sale(condition: str = "amount > limit_amount", limit: int = 1000) -> VersionInput:
    return VersionInput(
        title_ru="Крупная продажа",
        title_en="A large sale",
        subprocess="deal",
        kind=RuleKind.RECOMMENDATION,
        condition=condition,
        parameters={"limit_amount": limit},
        message_en="{amount} is more than {limit_amount}.",
    )


def test_the_default_rulebook_is_seeded_once_and_enabled() -> None:
    book = load()
    assert Rule.objects.count() == len(book["rules"]) >= 10
    assert all(rule.is_enabled for rule in Rule.objects.all())
    assert seed() == {"rules": 0, "sanctions": 0}
    codes = set(Rule.objects.values_list("code", flat=True))
    assert "deferred_payment_requires_credit_approval" in codes
    subprocesses = set(RuleVersion.objects.values_list("subprocess", flat=True).distinct())
    assert subprocesses == {"acquisition", "deal", "retention", "fulfilment"}
    kinds = set(RuleVersion.objects.values_list("kind", flat=True))
    assert kinds == {"mandatory", "recommendation"}
    for version in RuleVersion.objects.all():
        assert version.title_ru and version.title_en and version.message_ru and version.message_en


def test_every_subject_type_computes_its_declared_facts(dept: Department_) -> None:
    for kind in subject_types().values():
        frame = kind.compute(Scope(as_of=TODAY))
        assert list(frame.schema.items()) == list(kind.schema().items())
        assert kind.facts and kind.people and kind.periods


def test_an_analyst_writes_a_rule_and_enables_it_after_a_dry_run(
    dept: Department_, tmp_path: Path
) -> None:
    sales_import(
        tmp_path,
        [
            ("S1", TODAY - dt.timedelta(days=40), "K1", "Бумага", 5000, None, 0),
            ("S2", TODAY - dt.timedelta(days=5), "K1", "Бумага", 500, None, 0),
            ("S3", TODAY, "K2", "Бумага", 2500, None, 0),
        ],
    )
    alice = dept.users["alice"]
    draft = rule_create(code="large_sale", subject="sales_document", data=big_sale(), user=alice)
    assert (draft.number, draft.state, draft.rule.is_enabled) == (1, VersionState.DRAFT, False)
    result = dry_run(version=draft, user=alice)
    assert (result["subjects"], result["violations"]) == (3, 2)
    assert sum(m["violations"] for m in result["months"]) == 2
    assert {s["subject_key"] for s in result["samples"]} == {"S1", "S3"}
    assert result["samples"][0]["message"].endswith("is more than 1000.")
    draft.refresh_from_db()
    assert draft.dry_run["violations"] == 2
    version_enable(version=draft, user=alice)
    # An enabled version never changes: editing it is a new version.
    with pytest.raises(ValidationError, match="kept as it is"):
        version_save(rule=draft.rule, data=big_sale(limit=3000), user=alice, draft=draft)
    second = version_save(rule=draft.rule, data=big_sale(limit=3000), user=alice)
    assert second.number == 2 and second.state == VersionState.DRAFT
    compared = dry_run(version=second, user=alice)
    assert (compared["violations"], compared["enabled_violations"]) == (1, 2)
    assert (compared["only_new"], compared["only_enabled"]) == (0, 1)
    rewritten = version_save(rule=draft.rule, data=big_sale(limit=4000), user=alice, draft=second)
    assert rewritten.pk == second.pk and rewritten.parameters == {"limit_amount": 4000}
    assert rewritten.dry_run == {}  # an old dry run no longer describes it
    version_enable(version=rewritten, user=alice)
    draft.refresh_from_db()
    rule = Rule.objects.get(code="large_sale")
    assert rule.enabled_version == rewritten
    assert draft.state == VersionState.RETIRED and draft.retired_at is not None
    actions = list(
        AuditEntry.objects.filter(action__startswith="rules.").values_list("action", flat=True)
    )
    assert actions.count("rules.version_enabled") == 2
    assert "rules.rule_created" in actions and "rules.version_rewritten" in actions


def test_a_bad_version_is_refused_field_by_field_and_nothing_is_written(
    dept: Department_,
) -> None:
    bad = replace(
        big_sale(condition="amout > limit_amount"),
        title_en=" ",
        subprocess="sales",
        violator="nobody",
        override_roles=["director"],
    )
    with pytest.raises(ValidationError) as refused:
        rule_create(code="Large Sale", subject="sales_document", data=bad, user=dept.users["alice"])
    assert set(refused.value.message_dict) == {
        "code",
        "title_en",
        "subprocess",
        "violator",
        "override_roles",
        "condition",
    }
    assert "Unknown fact or parameter 'amout'" in refused.value.message_dict["condition"][0]
    assert not Rule.objects.filter(code__icontains="large").exists()


def test_only_editors_write_the_rulebook(dept: Department_) -> None:
    for login in ("helen", "kate", "frank"):
        with pytest.raises(PermissionDenied):
            rule_create(
                code="large_sale", subject="sales_document", data=big_sale(), user=dept.users[login]
            )
    rule = Rule.objects.get(code="credit_limit_exceeded")
    with pytest.raises(PermissionDenied):
        rule_disable(rule=rule, user=dept.users["helen"], reason="no")


def test_switching_a_rule_off_needs_a_reason_and_keeps_its_history(dept: Department_) -> None:
    rule = Rule.objects.get(code="credit_limit_exceeded")
    enabled = rule.enabled_version
    with pytest.raises(ValidationError, match="Say why"):
        rule_disable(rule=rule, user=dept.users["alice"], reason="")
    rule_disable(rule=rule, user=dept.users["alice"], reason="Limits are checked in 1C.")
    rule.refresh_from_db()
    assert rule.enabled_version is None
    assert enabled is not None
    enabled.refresh_from_db()
    assert enabled.state == VersionState.RETIRED
    entry = AuditEntry.objects.get(action="rules.rule_disabled")
    assert entry.data["reason"] == "Limits are checked in 1C."
    # Switching it back on re-enables the retired text.
    version_enable(version=enabled, user=dept.users["alice"])
    rule.refresh_from_db()
    assert rule.enabled_version == enabled
