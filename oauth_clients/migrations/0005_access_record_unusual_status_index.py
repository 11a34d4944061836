from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, where the access-record table
    can hold millions of rows that a plain CREATE INDEX would lock against
    every API request's insert while it builds; a plain one elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(
                app_label, schema_editor, from_state, to_state
            )
        return migrations.AddIndex.database_forwards(
            self, app_label, schema_editor, from_state, to_state
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(
                app_label, schema_editor, from_state, to_state
            )
        return migrations.AddIndex.database_backwards(
            self, app_label, schema_editor, from_state, to_state
        )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("ginr", "0004_ginr_report_seen_at"),
        ("oauth_clients", "0004_client_rate_limit"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="accessrecord",
            index=models.Index(
                condition=models.Q(("status__in", [200, 304]), _negated=True),
                fields=["status", "time"],
                name="accessrecord_unusual_status",
            ),
        ),
    ]
