from django.db import migrations

from oauth_clients.groups import auditors_group_ensure


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("oauth_clients", "0002_client_lifecycle_and_audit"),
    ]

    operations = [
        migrations.RunPython(auditors_group_ensure, migrations.RunPython.noop),
    ]
