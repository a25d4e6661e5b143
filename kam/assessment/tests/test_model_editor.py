"""The scoring-model editor: versions, a read-only view, editing (a used version makes a new
one), the ModelError shown in the form, the preview, activation and the definition files."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse

from kam.assessment import scoring
from kam.assessment.model_forms import ModelEditor, definition_toml, steps_parse
from kam.assessment.models import AssessmentCycle, ScoringModel
from kam.assessment.services import active_model, cycle_run
from kam.audit.models import AuditEntry
from kam.ledger.models import MonthlyRollup
from kam.web.tests import conftest as web

pytestmark = pytest.mark.django_db

company = web.company
Company = web.Company


def logged_in(company: Company, who: str) -> Browser:
    browser = Browser()
    browser.force_login(company.users[who])
    return browser


@pytest.fixture
def cycle(company: Company) -> AssessmentCycle:
    """A year of sales for three clients and one cycle with the shipped model (version 1)."""
    today = dt.date.today()
    for n, code in enumerate(("C1", "C2", "C3")):
        for back in range(1, 13):
            index = today.year * 12 + today.month - 1 - back
            MonthlyRollup.objects.create(
                client=company.clients[code],
                month=dt.date(index // 12, index % 12 + 1, 1),
                product_group="A",
                revenue=Decimal(1000 * (n + 1) ** 2),
                cost=Decimal(500),
                margin=Decimal(1000 * (n + 1) ** 2 - 500),
                quantity=Decimal(1),
                documents=1,
                lines=1,
            )
    return cycle_run(as_of=today)


def form_data(model: ScoringModel, **changes: Any) -> dict[str, Any]:
    """What the editor posts for ``model`` unchanged, with ``changes`` applied."""
    editor = ModelEditor(model)
    data: dict[str, Any] = {}
    for name, field in editor.form.fields.items():
        value = editor.form.initial.get(name, field.initial)
        if value is None or value is False:
            continue
        data[name] = value
    for _axis, formset in editor.axes:
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = management.initial[name]
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None and value is not False:
                    data[f"{form.prefix}-{name}"] = value
    data.update(changes)
    return data


def test_the_list_shows_versions_with_their_use(company: Company, cycle: AssessmentCycle) -> None:
    response = logged_in(company, "grace").get(reverse("scoring_models:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "v1" in html and "Standard model" in html and "active" in html
    row = next(m for m in response.context["models"] if m.version == 1)
    assert row.cycle_count == 1


def test_a_version_reads_per_axis(company: Company, cycle: AssessmentCycle) -> None:
    model = cycle.model
    response = logged_in(company, "bob").get(reverse("scoring_models:detail", args=[model.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Purchase potential" in html and "Average days overdue" in html
    assert "3:100; 10:75; 30:40; 60:10; otherwise 0" in html
    assert "Edit" not in html  # bob reads the model; only the analyst and the director edit it


def test_the_analyst_edits_a_used_version_into_a_new_one(
    company: Company, cycle: AssessmentCycle
) -> None:
    browser = logged_in(company, "grace")
    old = cycle.model
    before = json.dumps(old.definition, sort_keys=True)
    page = browser.get(reverse("scoring_models:edit", args=[old.pk])).content.decode()
    assert "saving makes <strong>version 2</strong>" in page
    assert "Save as version 2" in page
    # Without saying what changed a used version is not saved.
    response = browser.post(
        reverse("scoring_models:edit", args=[old.pk]), form_data(old, **{"potential-0-weight": 40})
    )
    assert response.status_code == 400
    assert "Say what changed" in response.content.decode()
    # Both problems at once: the missing note and what parse says of the definition.
    response = browser.post(
        reverse("scoring_models:edit", args=[old.pk]), form_data(old, **{"potential-0-weight": 0})
    )
    html = response.content.decode()
    assert "Say what changed" in html and "potential criterion 1 weight: must be above zero" in html

    response = browser.post(
        reverse("scoring_models:edit", args=[old.pk]),
        form_data(old, **{"potential-0-weight": 40, "notes": "Purchase potential weighs more"}),
    )
    assert response.status_code == 302
    new = ScoringModel.objects.get(version=2)
    assert response["Location"] == reverse("scoring_models:detail", args=[new.pk])
    assert new.definition["potential"][0] == {
        "metric": "purchase_potential",
        "normalise": "percentile",
        "weight": 40,
    }
    assert new.notes == "Purchase potential weighs more"
    assert new.created_by == company.users["grace"]
    assert not new.is_active
    # Everything else came across as it was; the old version is untouched.
    old.refresh_from_db()
    assert json.dumps(old.definition, sort_keys=True) == before
    scoring.parse(new.definition)
    assert new.definition["attractiveness"] == old.definition["attractiveness"]
    assert new.definition["proposal"] == old.definition["proposal"]
    assert AuditEntry.objects.filter(action="assessment.model_created", actor__username="grace")


def test_an_unused_version_is_saved_in_place(company: Company) -> None:
    model = active_model()
    browser = logged_in(company, "alice")
    response = browser.post(
        reverse("scoring_models:edit", args=[model.pk]),
        form_data(model, name="Renamed", **{"attractiveness-0-weight": 30}),
    )
    assert response.status_code == 302
    assert ScoringModel.objects.count() == 1
    model.refresh_from_db()
    assert model.name == "Renamed" and model.definition["attractiveness"][0]["weight"] == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"potential-0-weight": 0}, "potential criterion 1 weight: must be above zero"),
        (
            {"potential-4-steps": "-0.2:15; 0.3:100"},
            "potential criterion 5: step bounds must be descending for better = higher",
        ),
        (
            {"attractiveness-3-min": 12, "attractiveness-3-max": 0},
            "attractiveness criterion 4: max must be above min",
        ),
        ({"key_top_share": 2}, "proposal key_top_share: 2 is outside 0…1"),
    ],
)
def test_a_bad_definition_shows_the_model_error(
    company: Company, changes: dict[str, Any], message: str
) -> None:
    model = active_model()
    browser = logged_in(company, "grace")
    response = browser.post(
        reverse("scoring_models:edit", args=[model.pk]), form_data(model, **changes)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The model cannot be used:" in html
    assert message in html
    assert ScoringModel.objects.count() == 1
    model.refresh_from_db()
    assert model.definition == scoring.default_definition()


def test_steps_are_written_as_text() -> None:
    assert steps_parse("0.3:100; 0,15 : 75;") == [[0.3, 100], [0.15, 75]]
    with pytest.raises(Exception, match="bound:score"):
        steps_parse("0.3=100")


def test_a_criterion_can_be_removed_and_added(company: Company) -> None:
    model = active_model()
    browser = logged_in(company, "grace")
    count = len(model.definition["attractiveness"])
    data = form_data(
        model,
        **{
            "attractiveness-0-DELETE": "on",
            f"attractiveness-{count}-metric": "late_share",
            f"attractiveness-{count}-normalise": "minmax",
            f"attractiveness-{count}-better": "lower",
            f"attractiveness-{count}-weight": "5",
            f"attractiveness-{count}-min": "0",
            f"attractiveness-{count}-max": "1",
        },
    )
    assert browser.post(reverse("scoring_models:edit", args=[model.pk]), data).status_code == 302
    model.refresh_from_db()
    criteria = model.definition["attractiveness"]
    assert criteria[0]["metric"] == "margin_pct"
    assert criteria[-1] == {
        "metric": "late_share",
        "normalise": "minmax",
        "weight": 5,
        "better": "lower",
        "min": 0,
        "max": 1,
    }


def test_the_preview_counts_what_the_edit_would_propose(
    company: Company, cycle: AssessmentCycle
) -> None:
    model = cycle.model
    browser = logged_in(company, "grace")
    url = reverse("scoring_models:preview", args=[model.pk])
    unchanged = browser.post(url, form_data(model), HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 200
    preview = unchanged.context["preview"]
    assert preview["clients"] == cycle.clients
    assert preview["differs_from_cycle"] == 0
    assert preview["promote"] + preview["demote"] + preview["keep"] == cycle.clients
    html = unchanged.content.decode()
    assert "0 proposals differ from the latest cycle" in html
    rows = {(r["group"], str(r["label"])): r for r in unchanged.context["rows"]}
    assert all(r["diff"] == 0 for r in rows.values())  # the same model proposes the same
    # Everyone is potential key from a low bar: the preview says how many more that is.
    lowered = browser.post(
        url,
        form_data(
            model,
            potential_key_min_potential=0,
            potential_high=0,
            attractiveness_high=0,
            key_top_share=0,
        ),
        HTTP_HX_REQUEST="true",
    )
    preview = lowered.context["preview"]
    assert preview["proposed"].get("potential_key") == cycle.clients
    assert preview["differs_from_cycle"] > 0
    assert ScoringModel.objects.count() == 1  # a preview saves nothing
    bad = browser.post(url, form_data(model, **{"potential-0-weight": 0}), HTTP_HX_REQUEST="true")
    assert "potential criterion 1 weight: must be above zero" in bad.content.decode()


def test_the_preview_without_a_cycle_says_so(company: Company) -> None:
    model = active_model()
    response = logged_in(company, "alice").post(
        reverse("scoring_models:preview", args=[model.pk]), form_data(model)
    )
    assert response.status_code == 200
    assert "No re-evaluation cycle yet" in response.content.decode()


def test_activation_switches_the_active_version(company: Company, cycle: AssessmentCycle) -> None:
    browser = logged_in(company, "grace")
    browser.post(
        reverse("scoring_models:edit", args=[cycle.model.pk]),
        form_data(cycle.model, notes="Second"),
    )
    second = ScoringModel.objects.get(version=2)
    assert not second.is_active
    response = browser.post(reverse("scoring_models:activate", args=[second.pk]))
    assert response.status_code == 302
    assert ScoringModel.objects.get(is_active=True) == second
    assert AuditEntry.objects.filter(action="assessment.model_activated").count() == 1
    # Bob decides statuses but does not switch models.
    first = cycle.model
    assert (
        logged_in(company, "bob")
        .post(reverse("scoring_models:activate", args=[first.pk]))
        .status_code
        == 403
    )
    assert ScoringModel.objects.get(is_active=True) == second


def test_saving_can_activate_at_once(company: Company, cycle: AssessmentCycle) -> None:
    browser = logged_in(company, "alice")
    browser.post(
        reverse("scoring_models:edit", args=[cycle.model.pk]),
        form_data(cycle.model, notes="Now", activate="on"),
    )
    assert ScoringModel.objects.get(is_active=True).version == 2


def test_the_definition_downloads_as_toml_and_json(company: Company) -> None:
    model = active_model()
    browser = logged_in(company, "frank")
    toml = browser.get(reverse("scoring_models:download", args=[model.pk, "toml"]))
    assert toml.status_code == 200
    assert 'filename="scoring-model-v1.toml"' in toml["Content-Disposition"]
    assert tomllib.loads(toml.content.decode()) == model.definition
    as_json = browser.get(reverse("scoring_models:download", args=[model.pk, "json"]))
    assert json.loads(as_json.content) == model.definition
    assert (
        browser.get(reverse("scoring_models:download", args=[model.pk, "xml"])).status_code == 404
    )


def test_toml_round_trips_every_value_kind() -> None:
    definition = {
        "name": 'Модель "Б"',
        "potential": [{"metric": "growth", "steps": [[0.3, 100], [-0.05, 35]], "weight": 1.5}],
        "cells": {"potential": 60},
        "proposal": {"key_cells": ["strategic"], "on": True},
    }
    assert tomllib.loads(definition_toml(definition, "a\nb")) == definition


@pytest.mark.parametrize(
    ("who", "read", "edit"),
    [
        ("alice", 200, 200),
        ("grace", 200, 200),
        ("bob", 200, 403),
        ("frank", 200, 403),
        ("heidi", 200, 403),
        ("charlie", 403, 403),
        ("erin", 403, 403),
    ],
)
def test_readers_of_every_client_read_models_and_modellers_edit_them(
    company: Company, who: str, read: int, edit: int
) -> None:
    model = active_model()
    browser = logged_in(company, who)
    assert browser.get(reverse("scoring_models:list")).status_code == read
    assert browser.get(reverse("scoring_models:detail", args=[model.pk])).status_code == read
    assert browser.get(reverse("scoring_models:edit", args=[model.pk])).status_code == edit
    assert (
        browser.post(
            reverse("scoring_models:preview", args=[model.pk]), form_data(model)
        ).status_code
        == edit
    )
