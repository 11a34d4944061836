"""How the resource server learns who is calling.

The GINR API sees a ClientPrincipal: the calling client's id, its TSP, the
token's scopes and the client's rate limit. It never touches the client
registry's models, and nothing reads request.user as a person
(client-credentials tokens have none).
"""

import re
from dataclasses import dataclass

from django.conf import settings
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

from ginr_m2m.request_context import bind_client

# RFC 6750 section 2.1: "Bearer" 1*SP b64token. Tokens issued here are 30
# characters; anything much longer cannot be one and is not looked up.
BEARER_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
MAX_TOKEN_LENGTH = 512
REALM = "ginr"


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
    www_authenticate_realm = REALM

    def authenticate(self, request):
        self.refuse_malformed(request)

        result = super().authenticate(request)
        if result is None:
            return None

        _user, token = result
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

    def refuse_malformed(self, request):
        # Tokens travel only in the Authorization header (RFC 9700 4.3.2).
        if "access_token" in request.query_params:
            raise InvalidBearerRequest(
                "Send the access token in the Authorization header, not the URL."
            )
        header = request.headers.get("Authorization")
        if header is None:
            return
        scheme, _, token = header.partition(" ")
        if scheme.casefold() != "bearer":
            return
        token = token.strip(" ")
        if not token or len(token) > MAX_TOKEN_LENGTH or not BEARER_TOKEN.match(token):
            raise InvalidBearerRequest("The Authorization header is malformed.")
