import copy
import hashlib
from contextvars import ContextVar

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator

from ginr_m2m.request_context import bind_client
from oauth_clients.hashers import ClientSecretHasher
from oauth_clients.models import M2MClient

# Checked against when a client_id is unknown, so that an unknown and a known
# client_id fail after the same work.
_UNKNOWN_CLIENT_SECRET = make_password(
    "unknown-client", salt="unknown-client-salt", hasher=ClientSecretHasher.algorithm
)


# (client, token checksum, scope) of the token the current request was
# issued, for the audit record: oauthlib hands the view only the response
# body. The checksum, as the token table stores it, never the token itself.
# AuditMiddleware clears it before each request.
issued_token = ContextVar("issued_token", default=None)


class ClientCredentialsValidator(OAuth2Validator):
    def _extract_basic_auth(self, request):
        # The scheme name is case-insensitive (RFC 9110 section 11.1).
        header = request.headers.get("HTTP_AUTHORIZATION") or ""
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.casefold() != "basic" or not credentials.strip():
            return None
        return credentials.strip()

    def authenticate_client(self, request, *args, **kwargs):
        authenticated = self._authenticate_current_or_previous_secret(
            request, *args, **kwargs
        )
        if authenticated:
            # Every later log line of this token request names the client.
            bind_client(client=request.client.client_id, tdsp=request.client.tdsp_id)
        return authenticated

    def _authenticate_current_or_previous_secret(self, request, *args, **kwargs):
        """Accept the current secret until it expires, the previous one until
        its rotation deadline, and nothing else.
        """
        now = timezone.now()
        if super().authenticate_client(request, *args, **kwargs):
            return not request.client.secret_has_expired(now)

        client = getattr(request, "candidate_client", None)
        if client is None:
            ClientSecretHasher().verify("unknown-client", _UNKNOWN_CLIENT_SECRET)
            return False
        if not isinstance(client, M2MClient) or not client.previous_secret_is_valid(
            now
        ):
            return False
        # DOT checks the presented secret against request.client.client_secret;
        # a copy holding the previous hash lets it check that one the same way,
        # without touching the instance that the token will be saved for.
        previous = copy.copy(client)
        previous.client_secret = client.previous_secret
        request.client = previous
        authenticated = super().authenticate_client(request, *args, **kwargs)
        if authenticated and request.client is previous:
            request.client = client
            return True
        return False

    def _load_application(self, client_id, request):
        # DOT forgets the client when the secret is wrong (the body method
        # resets request.client); remember it for the previous-secret check.
        client = super()._load_application(client_id, request)
        if client is not None:
            request.candidate_client = client
        return client

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        # An empty set is a subset of anything, so a client granted nothing
        # would otherwise get a token with scope "". Fail closed.
        if not scopes:
            return False
        return super().validate_scopes(
            client_id, scopes, client, request, *args, **kwargs
        )

    def save_bearer_token(self, token, request, *args, **kwargs):
        # oauthlib returns this same dict as the response, so the per-client
        # lifetime reaches both the stored expiry and expires_in.
        token["expires_in"] = min(
            token["expires_in"], request.client.access_token_seconds
        )
        saved = super().save_bearer_token(token, request, *args, **kwargs)

        checksum = hashlib.sha256(token["access_token"].encode()).hexdigest()
        issued_token.set((request.client, checksum, token.get("scope", "")))
        return saved
