"""The default rulebook (default_rulebook.toml): read, and written into a database that lacks
its rules or sanctions. Run by a data migration, so every database starts with it; a code
already present is left as the company has made it."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

DEFAULT_RULEBOOK = Path(__file__).with_name("default_rulebook.toml")

#: Version fields a rule of the file may set, with their defaults.
VERSION_FIELDS: dict[str, Any] = {
    "title_ru": "",
    "title_en": "",
    "description_ru": "",
    "description_en": "",
    "message_ru": "",
    "message_en": "",
    "subprocess": "",
    "kind": "mandatory",
    "parameters": {},
    "condition": "",
    "severity": "medium",
    "violator": "",
    "period": "",
    "handler_role": "department_head",
    "response_days": 5,
    "override_roles": [],
}


def load(path: Path = DEFAULT_RULEBOOK) -> dict[str, list[dict[str, Any]]]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {"rules": data.get("rule", []), "sanctions": data.get("sanction", [])}


def seed(apps: Any = None, path: Path = DEFAULT_RULEBOOK) -> dict[str, int]:
    """Create the sanctions and rules of the file that the database lacks (each rule with an
    enabled version 1). Returns how many of each were created."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    Rule = apps.get_model("rules", "Rule")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    SanctionKind = apps.get_model("incidents", "SanctionKind")
    book = load(path)
    created = {"rules": 0, "sanctions": 0}
    for position, item in enumerate(book["sanctions"]):
        _obj, made = SanctionKind.objects.get_or_create(
            code=item["code"],
            defaults={
                "name_ru": item["name_ru"],
                "name_en": item["name_en"],
                "measure": item.get("measure", "none"),
                "is_sanction": item.get("is_sanction", True),
                "position": (position + 1) * 10,
            },
        )
        created["sanctions"] += int(made)
    from django.utils import timezone

    for item in book["rules"]:
        if Rule.objects.filter(code=item["code"]).exists():
            continue
        rule = Rule.objects.create(code=item["code"], subject_type=item["subject_type"])
        fields = {name: item.get(name, default) for name, default in VERSION_FIELDS.items()}
        sanction = item.get("default_sanction")
        version = RuleVersion.objects.create(
            rule=rule,
            number=1,
            state="enabled",
            enabled_at=timezone.now(),
            default_sanction=SanctionKind.objects.filter(code=sanction).first()
            if sanction
            else None,
            notes="Регламент по умолчанию (default_rulebook.toml).",
            **fields,
        )
        rule.enabled_version = version
        rule.save(update_fields=["enabled_version"])
        created["rules"] += 1
    return created
