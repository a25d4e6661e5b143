"""The five departments and seven role groups every company starts with (DESIGN.md)."""

from django.db import migrations

DEPARTMENTS = ["key_accounts", "acquisition", "sales", "credit_committee", "management"]
ROLES = [
    "director",
    "key_account_head",
    "key_account_manager",
    "sales_rep",
    "credit_committee_member",
    "analyst",
    "auditor",
]


def create(apps, schema_editor):
    Department = apps.get_model("organization", "Department")
    Group = apps.get_model("auth", "Group")
    for kind in DEPARTMENTS:
        Department.objects.get_or_create(kind=kind)
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("organization", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
