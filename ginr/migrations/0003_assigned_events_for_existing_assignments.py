"""Give every assignment that existed before change events an 'assigned' event.

Without it the change feed would show a TSP nothing of the GINRs it already
had; with it a client starting from the beginning learns all of them.
"""

from django.db import migrations
from django.utils import timezone


def record_existing_assignments(apps, schema_editor):
    Assignment = apps.get_model("ginr", "Assignment")
    ChangeEvent = apps.get_model("ginr", "ChangeEvent")
    AssignmentPeriod = apps.get_model("ginr", "AssignmentPeriod")
    now = timezone.now()
    for assignment in Assignment.objects.order_by("ginr_id", "tdsp_id").iterator():
        event = ChangeEvent.objects.create(
            ginr_id=assignment.ginr_id,
            kind="assigned",
            field="role",
            new_value=assignment.role,
            tdsp_id=assignment.tdsp_id,
            recorded_at=now,
        )
        AssignmentPeriod.objects.create(
            ginr_id=assignment.ginr_id,
            tdsp_id=assignment.tdsp_id,
            assigned_event=event,
        )


class Migration(migrations.Migration):
    dependencies = [("ginr", "0002_change_events")]

    operations = [
        migrations.RunPython(record_existing_assignments, migrations.RunPython.noop)
    ]
