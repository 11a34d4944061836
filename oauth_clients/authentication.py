"""How the resource server learns who is calling.

The GINR API sees a ClientPrincipal: the calling client's id, its TSP, the
token's scopes and the client's rate limit. It never touches the client
registry's models, and nothing reads request.user as a person
(client-credentials tokens have none).
"""

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions

from ginr_m2m.request_context import bind_client

# RFC 6750 section 2.1: "Bearer" 1*SP b64token. Tokens issued here are 30
# characters; anything much longer cannot be one and is not looked up.
BEARER_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MAX_TOKEN_LENGTH = 512
BEARER_WITH_OTHER_SEPARATOR = re.compile(r"(?i)bearer[^\S ]")
REALM = "ginr"
TOKEN_FIELDS = [
    "expires",
    "scope",
    "resource",
    "application__client_id",
    "application__tdsp_id",
    "application__active",
    "application__allowed_scopes",
    "application__rate_limit_per_minute",
]


@dataclass(frozen=True)
class ClientPrincipal:
    client_id: str
    tdsp_id: int
    scopes: frozenset
    rate_limit_per_minute: int

    is_authenticated = True
    is_anonymous = False


class InvalidBearerRequest(exceptions.APIException):
    """RFC 6750 invalid_request: 400 with a Bearer challenge."""

    status_code = 400
    default_code = "invalid_request"

    def __init__(self, detail):
        super().__init__(detail)
        self.challenge = (
            f'Bearer realm="{REALM}", error="invalid_request", '
            f'error_description="{detail}"'
        )


class ClientCredentialsAuthentication(OAuth2Authentication):
    """Bearer tokens checked with one indexed lookup.

    django-oauth-toolkit issues the tokens and owns their model; this checks
    them itself instead of through oauthlib's resource endpoint, which builds
    a generic OAuth request (headers, body and query parsed again) around the
    same lookup and cost about 2.5 ms a request, the largest part of a GINR
    read (BENCHMARKS.md). What a token must satisfy is the toolkit's own
    model methods: is_expired, allows_audience, and the client's is_usable.
    """

    www_authenticate_realm = REALM

    def authenticate(self, request):
        raw = self.bearer_token(request)
        if raw is None:
            return None

        token = self.load_token(raw)
        problem = self.problem_with(token, request)
        if problem is not None:
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": problem,
            }
            return None

        client = token.application
        principal = ClientPrincipal(
            client_id=client.client_id,
            tdsp_id=client.tdsp_id,
            # A scope staff withdrew from the client stops working at once,
            # not when its tokens expire.
            scopes=frozenset(token.scope.split()) & frozenset(client.scopes),
            rate_limit_per_minute=(
                client.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE
            ),
        )
        # Every later log line of this request names the client and its TSP.
        bind_client(client=principal.client_id, tdsp=principal.tdsp_id)
        return principal, token

    @staticmethod
    def load_token(raw):
        # Tokens are stored as their SHA-256 checksums only. Only what the
        # checks and the principal need is read: never the client's secret
        # hashes, and a third less work for the ORM.
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        AccessToken = get_access_token_model()  # noqa: N806 - a model class
        try:
            return (
                AccessToken.objects.select_related("application")
                .only(*TOKEN_FIELDS)
                .get(token_checksum=checksum)
            )
        except AccessToken.DoesNotExist:
            return None

    @staticmethod
    def problem_with(token, request):
        """Why the token may not be used, or None."""
        if token is None or token.application is None:
            return "The access token is invalid."
        if token.is_expired():
            return "The access token has expired."
        # RFC 8707: a token restricted to other resources is not for this one.
        if token.resource and not token.allows_audience(
            request.build_absolute_uri(request.path)
        ):
            return "The access token is not valid for this resource."
        if not token.application.is_usable(request):
            return "The access token is invalid."
        return None

    @staticmethod
    def bearer_token(request):
        """The bearer token the request carries, None if it carries none, or
        InvalidBearerRequest if it carries one the wrong way."""
        # Tokens travel only in the Authorization header (RFC 9700 4.3.2).
        if "access_token" in request.query_params:
            raise InvalidBearerRequest(
                "Send the access token in the Authorization header, not the URL."
            )
        header = request.headers.get("Authorization")
        if header is None:
            return None
        # "Bearer" and its token are separated by spaces only (RFC 6750
        # 2.1); "Bearer<TAB>token" is a malformed Bearer header, not another
        # scheme.
        if BEARER_WITH_OTHER_SEPARATOR.match(header):
            raise InvalidBearerRequest("The Authorization header is malformed.")
        scheme, _, token = header.partition(" ")
        if scheme.casefold() != "bearer":
            return None
        token = token.strip(" ")
        if not token or len(token) > MAX_TOKEN_LENGTH or not BEARER_TOKEN.match(token):
            raise InvalidBearerRequest("The Authorization header is malformed.")
        return token
