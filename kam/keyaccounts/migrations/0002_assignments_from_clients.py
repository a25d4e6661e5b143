"""Open an assignment for every client that already has a responsible employee.

The start is the client's creation date: the history begins with the data kam was given.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Client = apps.get_model("clients", "Client")
    Assignment = apps.get_model("keyaccounts", "Assignment")
    batch = []
    for client_id, manager_id, created in Client.objects.filter(
        responsible__isnull=False
    ).values_list("pk", "responsible_id", "created_at").iterator(chunk_size=5000):
        batch.append(
            Assignment(
                client_id=client_id,
                manager_id=manager_id,
                start=created.date(),
                source="initial",
            )
        )
        if len(batch) >= 5000:
            Assignment.objects.bulk_create(batch)
            batch = []
    Assignment.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("keyaccounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
