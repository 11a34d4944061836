from django.contrib.auth.hashers import make_password
from oauth2_provider.oauth2_validators import OAuth2Validator

from ginr_m2m.request_context import bind_client
from oauth_clients.hashers import ClientSecretHasher

# Checked against when a client_id is unknown, so that an unknown and a known
# client_id fail after the same work.
_UNKNOWN_CLIENT_SECRET = make_password(
    "unknown-client", salt="unknown-client-salt", hasher=ClientSecretHasher.algorithm
)


class ClientCredentialsValidator(OAuth2Validator):
    def _extract_basic_auth(self, request):
        # The scheme name is case-insensitive (RFC 9110 section 11.1).
        header = request.headers.get("HTTP_AUTHORIZATION") or ""
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.casefold() != "basic" or not credentials.strip():
            return None
        return credentials.strip()

    def authenticate_client(self, request, *args, **kwargs):
        authenticated = super().authenticate_client(request, *args, **kwargs)
        if authenticated:
            # Every later log line of this token request names the client.
            bind_client(client=request.client.client_id, tdsp=request.client.tdsp_id)
        elif getattr(request, "client", None) is None:
            ClientSecretHasher().verify("unknown-client", _UNKNOWN_CLIENT_SECRET)
        return authenticated

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # An empty set is a subset of anything, so a client granted nothing
        # would otherwise get a token with scope "". Fail closed.
        if not scopes:
            return False
        return super().validate_scopes(
            client_id, scopes, client, request, *args, **kwargs
        )
