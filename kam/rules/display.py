"""What the rulebook's pages show of a version beyond its fields: the labels of its violator,
period and override roles, its description with the parameters filled in, the facts its
condition uses, and a dry run's samples with links to their subjects."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from kam.organization.choices import Role
from kam.rules.facts import Fact, SubjectType, subject_type
from kam.rules.models import RuleVersion, format_message

#: Quoted text in a condition ('key') holds no names.
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def condition_names(condition: str) -> set[str]:
    """The words of ``condition`` outside quoted text (facts, parameters, SQL words)."""
    return set(_NAME.findall(_QUOTED.sub(" ", condition or "")))


def subject_or_none(code: str) -> SubjectType | None:
    try:
        return subject_type(code)
    except KeyError:  # a subject type the code no longer has: show the rule, not a 500
        return None


def _label(columns: Any, chosen: str) -> str:
    names = [c.name for c in columns]
    if not names:
        return chosen or "—"
    column = columns[names.index(chosen)] if chosen in names else columns[0]
    return str(column.label)


@dataclass
class VersionText:
    """A version as the rule's page reads it."""

    version: RuleVersion
    subject: SubjectType | None
    description: str
    violator: str
    period: str
    override_roles: list[str]
    parameters: list[tuple[str, Any]]
    facts_used: list[Fact] = field(default_factory=list)


def version_text(version: RuleVersion, subject_code: str) -> VersionText:
    subject = subject_or_none(subject_code)
    roles = dict(Role.choices)
    names = condition_names(version.condition)
    return VersionText(
        version=version,
        subject=subject,
        description=format_message(version.description, version.parameters or {}),
        violator=_label(subject.people, version.violator) if subject else version.violator,
        period=_label(subject.periods, version.period) if subject else version.period,
        override_roles=[str(roles.get(r, r)) for r in version.override_roles or []],
        parameters=list((version.parameters or {}).items()),
        facts_used=[f for f in subject.facts if f.name in names] if subject else [],
    )


def check_summary(
    subject: SubjectType, condition: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """The facts and parameters a (valid) condition uses, and the parameters it does not."""
    names = condition_names(condition)
    return {
        "facts": [f for f in subject.facts if f.name in names],
        "parameters": [(n, v) for n, v in parameters.items() if n in names],
        "unused": [n for n in parameters if n not in names],
    }


def dry_run_samples(result: dict[str, Any], subject: SubjectType | None) -> list[dict[str, Any]]:
    """The samples of a dry run, each with the link to its subject's page (if it has one)."""
    samples = []
    for sample in result.get("samples") or []:
        link = ""
        if subject is not None and subject.link is not None:
            link = subject.link(
                sample.get("subject_id"),
                str(sample.get("subject_key") or ""),
                sample.get("client_id"),
            )
        day = sample.get("subject_date")
        samples.append(
            {
                **sample,
                "link": link,
                "subject_date": dt.date.fromisoformat(day) if isinstance(day, str) else day,
            }
        )
    return samples


def dry_run_months(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The dry run's months with the difference against the enabled version."""
    compared = result.get("enabled_violations") is not None
    return [
        {
            **month,
            "difference": month.get("violations", 0) - month.get("enabled_violations", 0)
            if compared
            else None,
        }
        for month in result.get("months") or []
    ]


#: The fields a version's change is read in, in the editor's order.
CHANGE_FIELDS = (
    "title_ru",
    "title_en",
    "description_ru",
    "description_en",
    "message_ru",
    "message_en",
    "subprocess",
    "kind",
    "severity",
    "parameters",
    "condition",
    "violator",
    "period",
    "handler_role",
    "response_days",
    "default_sanction",
    "override_roles",
)


def _shown(version: RuleVersion, text: VersionText, name: str) -> str:
    if name in ("subprocess", "kind", "severity", "handler_role"):
        return str(getattr(version, f"get_{name}_display")())
    if name == "parameters":
        return "; ".join(f"{k} = {v}" for k, v in text.parameters) or "—"
    if name in ("violator", "period"):
        return str(getattr(text, name))
    if name == "override_roles":
        return ", ".join(text.override_roles) or "—"
    if name == "default_sanction":
        return version.default_sanction.name if version.default_sanction else "—"
    return str(getattr(version, name) or "—")


def version_changes(
    old: RuleVersion | None, new: RuleVersion, subject_code: str
) -> list[dict[str, Any]]:
    """What ``new`` changes against ``old``: each differing field's label and both values."""
    if old is None:
        return []
    old_text, new_text = version_text(old, subject_code), version_text(new, subject_code)
    changes = []
    for name in CHANGE_FIELDS:
        attribute = "default_sanction_id" if name == "default_sanction" else name
        if getattr(old, attribute) == getattr(new, attribute):
            continue
        changes.append(
            {
                "name": name,
                "label": getattr(RuleVersion._meta.get_field(name), "verbose_name", name),
                "old": _shown(old, old_text, name),
                "new": _shown(new, new_text, name),
            }
        )
    return changes
