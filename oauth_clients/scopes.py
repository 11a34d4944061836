from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings


class ClientScopes(BaseScopes):
    """Scopes granted per client, never every scope by default.

    The server-metadata view asks with application=None and gets the whole
    list; a client only ever gets the known scopes it was granted.
    """

    def get_all_scopes(self):
        return dict(oauth2_settings.SCOPES)

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        known = oauth2_settings.SCOPES
        if application is None:
            return list(known)
        return [scope for scope in application.scopes if scope in known]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        available = self.get_available_scopes(application, request)
        return [scope for scope in oauth2_settings.DEFAULT_SCOPES if scope in available]
