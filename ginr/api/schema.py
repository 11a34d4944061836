"""OpenAPI description: the security scheme, errors and the served paths."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ProblemSerializer = inline_serializer(
    name="Problem",
    fields={
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False),
    },
)


def _problem(description):
    return OpenApiResponse(response=ProblemSerializer, description=description)


PROBLEM = "application/problem+json"


ERROR_RESPONSES = {
    (400, PROBLEM): _problem(
        "Malformed request: bad parameter value, or a token sent "
        "outside the Authorization header (error=invalid_request)."
    ),
    (401, PROBLEM): _problem(
        "No token, or an unknown, expired or revoked one "
        "(WWW-Authenticate: Bearer, error=invalid_token)."
    ),
    (403, PROBLEM): _problem(
        "The token lacks the ginr:read scope "
        "(WWW-Authenticate: Bearer error=insufficient_scope)."
    ),
    (404, PROBLEM): _problem(
        "No such resource, or one not assigned to the caller's TSP."
    ),
    (405, PROBLEM): _problem("Only GET and HEAD are allowed."),
    (406, PROBLEM): _problem("Only JSON can be returned."),
    (429, PROBLEM): _problem(
        "The client's request quota is used up; see Retry-After "
        "and the RateLimit headers."
    ),
    (503, PROBLEM): _problem(
        "The service is temporarily unavailable; see Retry-After."
    ),
}


def only_ginr_paths(endpoints):
    """Describe the API, not the admin or the description itself."""
    return [
        endpoint
        for endpoint in endpoints
        if endpoint[0].startswith("/ginr/rest/") and "openapi" not in endpoint[0]
    ]


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "oauth_clients.authentication.ClientCredentialsAuthentication"
    name = "clientCredentials"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": (
                "OAuth 2.0 client credentials: POST grant_type=client_credentials "
                "to the token URL with HTTP Basic client authentication, then "
                "send 'Authorization: Bearer <token>'."
            ),
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth/token",
                    "scopes": {
                        settings.GINR_READ_SCOPE: settings.OAUTH2_PROVIDER["SCOPES"][
                            settings.GINR_READ_SCOPE
                        ]
                    },
                }
            },
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: [settings.GINR_READ_SCOPE]}
