"""How the resource server learns who is calling.

The GINR API sees a ClientPrincipal: the calling client's id, its TSP and the
token's scopes. It never touches the client registry's models, and nothing
reads request.user as a person (client-credentials tokens have none).
"""

from dataclasses import dataclass

from oauth2_provider.contrib.rest_framework import OAuth2Authentication

from ginr_m2m.request_context import bind_client


@dataclass(frozen=True)
class ClientPrincipal:
    client_id: str
    tdsp_id: int
    scopes: frozenset

    is_authenticated = True
    is_anonymous = False


class ClientCredentialsAuthentication(OAuth2Authentication):
    www_authenticate_realm = "ginr"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None

        _user, token = result
        client = token.application
        principal = ClientPrincipal(
            client_id=client.client_id,
            tdsp_id=client.tdsp_id,
            scopes=frozenset(token.scope.split()),
        )
        # Every later log line of this request names the client and its TSP.
        bind_client(client=principal.client_id, tdsp=principal.tdsp_id)
        return principal, token
