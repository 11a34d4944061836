from django.apps import AppConfig


class OAuthClientsConfig(AppConfig):
    name = "oauth_clients"
    verbose_name = "Machine clients"

    def ready(self):
        # Registers the audit system check.
        from oauth_clients import audit  # noqa: F401

        self.hide_unused_token_models()

    def hide_unused_token_models(self):
        # django-oauth-toolkit registers every model it has in the admin; a
        # client-credentials service issues no grants, ID tokens or refresh
        # tokens. The admin has discovered them by now (it is listed first).
        from django.contrib import admin
        from oauth2_provider.models import (
            get_grant_model,
            get_id_token_model,
            get_refresh_token_model,
        )

        for unused in (
            get_grant_model(),
            get_id_token_model(),
            get_refresh_token_model(),
        ):
            if admin.site.is_registered(unused):
                admin.site.unregister(unused)
