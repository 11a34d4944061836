from django.apps import AppConfig


class OAuthClientsConfig(AppConfig):
    name = "oauth_clients"
    verbose_name = "Machine clients"

    def ready(self):
        # Connects the app_authorized receiver.
        from oauth_clients import audit  # noqa: F401
