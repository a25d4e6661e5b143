"""The credit committee's and the pipeline's rules join the rulebook of existing databases;
the key-account department's no-prospecting rule also counts prospects and acquisition deals
(a version 2, enabled only where the company kept the default version 1)."""

from django.db import migrations
from django.utils import timezone

OLD_CONDITION = "in_key_account_department AND standard_clients_kept > 0"


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kam.rules.rulebook import VERSION_FIELDS, load, seed

    seed(apps)
    Rule = apps.get_model("rules", "Rule")
    RuleVersion = apps.get_model("rules", "RuleVersion")
    rule = Rule.objects.filter(code="key_account_staff_not_prospecting").first()
    if rule is None or rule.enabled_version_id is None:
        return
    enabled = RuleVersion.objects.get(pk=rule.enabled_version_id)
    if enabled.number != 1 or enabled.condition != OLD_CONDITION:
        return  # the company changed it: theirs to update
    item = next(r for r in load()["rules"] if r["code"] == rule.code)
    fields = {name: item.get(name, default) for name, default in VERSION_FIELDS.items()}
    now = timezone.now()
    RuleVersion.objects.filter(pk=enabled.pk).update(state="retired", retired_at=now)
    rule.enabled_version = None
    rule.save(update_fields=["enabled_version"])
    version = RuleVersion.objects.create(
        rule=rule,
        number=2,
        state="enabled",
        enabled_at=now,
        default_sanction=enabled.default_sanction,
        notes="Counts prospects and acquisition deals too (the pipeline).",
        **fields,
    )
    rule.enabled_version = version
    rule.save(update_fields=["enabled_version"])


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0002_default_rulebook"),
        ("deals", "0001_initial"),
        ("credit", "0003_creditapplication_deal_and_more"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
