from django.contrib import admin


class M2MClientAdmin(admin.ModelAdmin):
    """Machine clients, without their secrets.

    Clients are created with `manage.py create_m2m_client`, which shows the
    secret once; the admin never receives or renders a secret, not even its
    hash.
    """

    list_display = ["name", "client_id", "tdsp", "active", "allowed_scopes", "created"]
    list_filter = ["active", "tdsp"]
    search_fields = ["name", "client_id", "tdsp__code"]
    fields = ["name", "client_id", "tdsp", "active", "allowed_scopes", "created"]
    readonly_fields = ["client_id", "tdsp", "created"]

    def has_add_permission(self, request):
        return False
