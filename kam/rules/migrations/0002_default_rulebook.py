"""Every database starts with the default rulebook (kam/rules/default_rulebook.toml)."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kam.rules.rulebook import seed as seed_rulebook

    seed_rulebook(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("rules", "0001_initial"),
        ("incidents", "0002_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
