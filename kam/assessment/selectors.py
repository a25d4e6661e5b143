"""Reads of the assessment shared by the pages, exports and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from kam.assessment import scoring
from kam.assessment.choices import CycleState
from kam.assessment.filters import AssessmentFilterSet
from kam.assessment.models import (
    Assessment,
    AssessmentCycle,
    DataCollection,
    ScoringModel,
    StatusDecision,
)
from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.clients.profile import checklist, completeness


def cycle_list() -> QuerySet[AssessmentCycle]:
    return AssessmentCycle.objects.select_related("model", "run_by").order_by("-as_of", "-id")


def latest_cycle() -> AssessmentCycle | None:
    return AssessmentCycle.objects.filter(state=CycleState.DONE).select_related("model").first()


def cycle_assessments(
    *, cycle: AssessmentCycle, params: QueryDict | dict[str, Any]
) -> tuple[AssessmentFilterSet, QuerySet[Assessment]]:
    """A cycle's assessments (proposals), filtered and sorted by ``params``."""
    queryset = Assessment.objects.filter(cycle=cycle).select_related(
        "client", "client__responsible"
    )
    filterset = AssessmentFilterSet(params or None, queryset=queryset)
    queryset = filterset.qs
    if not (params or {}).get("ordering"):
        queryset = queryset.order_by("priority_rank")
    return filterset, queryset


def client_latest_assessment(client: Client) -> Assessment | None:
    return (
        Assessment.objects.filter(client=client, cycle__state=CycleState.DONE)
        .select_related("cycle", "cycle__model")
        .order_by("-cycle__as_of", "-cycle_id")
        .first()
    )


def assessment_explanation(assessment: Assessment) -> dict[str, Any]:
    """Why the scores are what they are: per axis, each criterion's value, normalised value,
    weight and contribution (kam.assessment.scoring.explain)."""
    definition = scoring.parse(assessment.cycle.model.definition)
    values = {name: getattr(assessment, name) for name in scoring.METRIC_LABELS}
    return scoring.explain(definition, values, list(assessment.normalised))


def client_assessment_panel(client: Client) -> dict[str, Any]:
    """Everything the client card shows about assessment: the latest scores and their
    explanation, earlier assessments, decisions, and the data-collection checklist."""
    latest = client_latest_assessment(client)
    history = list(
        Assessment.objects.filter(client=client, cycle__state=CycleState.DONE)
        .select_related("cycle", "cycle__model")
        .order_by("-cycle__as_of", "-cycle_id")[:12]
    )
    decisions = list(StatusDecision.objects.filter(client=client).select_related("decided_by")[:50])
    collection = DataCollection.objects.filter(client=client, closed_at__isnull=True).first()
    items = checklist(client)
    return {
        "assessment": latest,
        "explanation": assessment_explanation(latest) if latest else None,
        "history": history,
        "decisions": decisions,
        "collection": collection,
        "checklist": items,
        "completeness": completeness(items),
        "collecting": collection is not None or client.status == ClientStatus.POTENTIAL_KEY,
    }


def matrix_points(
    *, cycle: AssessmentCycle, queryset: QuerySet[Assessment], limit: int = 2000
) -> dict[str, Any]:
    """Bubbles of the portfolio matrix: the ``limit`` largest clients by revenue among
    ``queryset`` (a filtered set of the cycle's assessments), and the cell thresholds."""
    definition = scoring.parse(cycle.model.definition)
    total = queryset.count()
    rows = queryset.order_by("-revenue_12m").values(
        "client_id",
        "client__name",
        "client__status",
        "potential",
        "attractiveness",
        "revenue_12m",
        "cell",
        "proposed_status",
    )[:limit]
    return {
        "points": [
            {
                "id": r["client_id"],
                "name": r["client__name"],
                "status": r["client__status"],
                "x": round(r["attractiveness"], 1),
                "y": round(r["potential"], 1),
                "revenue": round(r["revenue_12m"]),
                "cell": r["cell"],
                "proposed": r["proposed_status"],
            }
            for r in rows
        ],
        "shown": min(total, limit),
        "total": total,
        "potential_high": definition.potential_high,
        "attractiveness_high": definition.attractiveness_high,
    }


def model_list() -> QuerySet[ScoringModel]:
    return ScoringModel.objects.select_related("created_by").order_by("-version")


def model_preview(definition: scoring.Definition) -> dict[str, Any] | None:
    """What ``definition`` would propose on the latest cycle's metrics: how many clients it
    would promote, demote or keep against their current status, per cell, and how many
    proposals differ from the cycle's own. None when there is no cycle yet."""
    import polars as pl

    from kam.assessment.frames import read_frames, real
    from kam.assessment.metrics import METRIC_SCHEMA

    cycle = latest_cycle()
    if cycle is None:
        return None
    columns = ", ".join(
        f"a.{name}" if dtype == pl.String else f"{real('a.' + name, nullable=True)} AS {name}"
        for name, dtype in METRIC_SCHEMA.items()
    )
    sql = (
        f"SELECT a.client_id, c.status, a.proposed_status, {columns} "
        "FROM assessment_assessment a JOIN clients_client c ON c.id = a.client_id "
        "WHERE a.cycle_id = %s"
    )
    schema = {"client_id": pl.Int64, "status": pl.String, "_was": pl.String, **METRIC_SCHEMA}
    frame = read_frames({"metrics": (sql, [cycle.pk], schema)})["metrics"]
    frame = frame.with_columns(
        [pl.col(c).replace("", None) for c in ("abc", "xyz")]  # stored blank, read as unknown
    )
    scored = scoring.score(frame, definition)
    changes = dict(scored.group_by("change").len().iter_rows())
    cells = dict(scored.group_by("cell").len().iter_rows())
    proposed = dict(scored.group_by("proposed_status").len().iter_rows())
    return {
        "cycle": cycle,
        "clients": scored.height,
        "promote": changes.get("promote", 0),
        "demote": changes.get("demote", 0),
        "keep": changes.get("keep", 0),
        "cells": cells,
        "proposed": proposed,
        "differs_from_cycle": int((scored["proposed_status"] != scored["_was"]).sum()),
    }
