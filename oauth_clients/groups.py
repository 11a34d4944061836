"""The Auditors group: view-only on the clients and the three audit logs.

Called by a data migration with the historical app registry, and by tests
that flush the database, with the live one.
"""

from django.contrib.auth.management import create_permissions

AUDITORS = "Auditors"
AUDITOR_MODELS = ["m2mclient", "tokenevent", "credentialevent", "accessrecord"]


def auditors_group_ensure(apps, schema_editor=None):
    # Permissions are normally created after all migrations have run; the
    # group needs them now.
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions
        # skips those unless told otherwise.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=AUDITORS)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="oauth_clients",
            codename__in=[f"view_{model}" for model in AUDITOR_MODELS],
        )
    )
