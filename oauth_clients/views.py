"""The authorization-server endpoints, made exact where django-oauth-toolkit
and oauthlib are lenient.

Before a request reaches oauthlib it is checked against RFC 6749: a
form-encoded body, no parameter twice, nothing in the query string, one
client-authentication method. Failed client authentications are counted per
client_id and per source address, and past the limit a request is refused
before any secret is hashed. A client that authenticated with HTTP Basic and
failed is challenged with Basic, not Bearer (RFC 6749 section 5.2).
"""

import base64
import binascii
import json
import logging
from urllib.parse import parse_qsl, unquote_plus

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as oauth_views
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauthlib.common import Request as OauthlibRequest

from ginr_m2m import ratelimit
from ginr_m2m.problems import problem_response

logger = logging.getLogger(__name__)

BASIC_CHALLENGE = 'Basic realm="ginr-oauth", charset="UTF-8"'
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# Far more than every scope this server knows, spelled out.
MAX_SCOPE_LENGTH = 200


def oauth_error(error, description, status=400, **headers):
    response = JsonResponse(
        {"error": error, "error_description": description}, status=status
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class BadRequest(Exception):
    def __init__(self, response):
        super().__init__(response)
        self.response = response


def basic_credentials(header):
    """(client_id, secret) from an HTTP Basic header, or None if not Basic.

    The scheme name is case-insensitive (RFC 9110 section 11.1); both parts
    are form-urlencoded before base64 (RFC 6749 section 2.3.1).
    """
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.casefold() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise BadRequest(
            oauth_error(
                "invalid_client",
                "The Basic credentials are not valid base64 of UTF-8 text.",
                status=401,
                WWW_Authenticate=BASIC_CHALLENGE,
            )
        ) from error
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise BadRequest(
            oauth_error(
                "invalid_client",
                "The Basic credentials must be client_id:client_secret.",
                status=401,
                WWW_Authenticate=BASIC_CHALLENGE,
            )
        )
    return unquote_plus(client_id), unquote_plus(secret)


class ClientAuthenticatedEndpoint:
    """Checks shared by the token, revocation and introspection endpoints."""

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return problem_response(
                405,
                "Use POST with a form-encoded body.",
                "method_not_allowed",
                headers={"Allow": "POST"},
            )
        try:
            client_id, used_basic = self.check_request(request)
        except BadRequest as refused:
            return refused.response

        limited = self.failure_limit_reached(request, client_id)
        if limited:
            return limited

        response = super().dispatch(request, *args, **kwargs)

        # Every answer of these endpoints concerns credentials.
        response["Cache-Control"] = "no-store"
        if response.status_code == 401:
            self.count_failure(request, client_id)
            if used_basic:
                response["WWW-Authenticate"] = BASIC_CHALLENGE
        return response

    def check_request(self, request):
        """Refuse what RFC 6749 forbids; return (client_id, used Basic)."""
        if request.GET:
            raise BadRequest(
                oauth_error(
                    "invalid_request",
                    "Send parameters in the form-encoded body, never in the URL.",
                )
            )
        content_type = request.content_type.casefold()
        if content_type != FORM_CONTENT_TYPE:
            raise BadRequest(
                oauth_error(
                    "invalid_request",
                    f"The body must be {FORM_CONTENT_TYPE}.",
                )
            )
        try:
            pairs = parse_qsl(
                request.body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=bool(request.body),
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise BadRequest(
                oauth_error("invalid_request", "The form body cannot be parsed.")
            ) from error
        names = [name for name, _ in pairs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise BadRequest(
                oauth_error(
                    "invalid_request",
                    f"Parameters may not repeat: {', '.join(repeated)}.",
                )
            )

        form = dict(pairs)
        header = request.headers.get("Authorization", "")
        basic = basic_credentials(header) if header else None
        if header and basic is None:
            raise BadRequest(
                oauth_error(
                    "invalid_client",
                    "Authenticate the client with HTTP Basic.",
                    status=401,
                    WWW_Authenticate=BASIC_CHALLENGE,
                )
            )
        if basic and ("client_secret" in form or "client_id" in form):
            raise BadRequest(
                oauth_error(
                    "invalid_request",
                    "Use one client authentication method, not HTTP Basic and "
                    "body credentials together.",
                )
            )
        # PostgreSQL text cannot hold a NUL: a lookup or an audit row with
        # one would fail as a server error.
        if any("\x00" in text for text in (*form.values(), *(basic or ()))):
            raise BadRequest(
                oauth_error("invalid_request", "Parameters may not contain NUL.")
            )
        self.check_form(form)
        client_id = basic[0] if basic else form.get("client_id", "")
        return client_id, basic is not None

    def check_form(self, form):
        """Endpoint-specific parameter checks."""

    def failure_limit_reached(self, request, client_id):
        limits = settings.CLIENT_AUTH_FAILURE_LIMITS
        # Both counters in one cache round trip: this runs on every token
        # request, before anything else.
        windows = ratelimit.peek_many(
            {
                f"auth-fail:client:{client_id}": limits["per_client"],
                f"auth-fail:addr:{request.META.get('REMOTE_ADDR', '')}": limits[
                    "per_address"
                ],
            },
            period=limits["period"],
        )
        for window in windows.values():
            if window.count >= window.limit:
                # %r: the client_id is whatever the caller sent, newlines too.
                logger.warning(
                    "Client authentication refused after repeated failures: "
                    "client_id=%r",
                    client_id,
                )
                return problem_response(
                    429,
                    "Too many failed client authentications; retry later.",
                    "too_many_failures",
                    headers={"Retry-After": str(window.reset)},
                )
        return None

    def count_failure(self, request, client_id):
        limits = settings.CLIENT_AUTH_FAILURE_LIMITS
        ratelimit.hit(
            f"auth-fail:client:{client_id}",
            limit=limits["per_client"],
            period=limits["period"],
        )
        ratelimit.hit(
            f"auth-fail:addr:{request.META.get('REMOTE_ADDR', '')}",
            limit=limits["per_address"],
            period=limits["period"],
        )


# Machine clients carry no CSRF cookie; the decorators below replace
# django-oauth-toolkit's own csrf_exempt, which the overridden dispatch drops.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters("client_secret"), name="dispatch")
class TokenView(ClientAuthenticatedEndpoint, oauth_views.TokenView):
    def check_form(self, form):
        grant_type = form.get("grant_type")
        if not grant_type:
            raise BadRequest(oauth_error("invalid_request", "grant_type is required."))
        # django-oauth-toolkit hands some grants (the device flow) to its own
        # code before oauthlib sees them; only client credentials exist here.
        if grant_type != "client_credentials":
            raise BadRequest(
                oauth_error(
                    "unsupported_grant_type",
                    "Only the client_credentials grant is supported.",
                )
            )
        scope = form.get("scope", "")
        if len(scope) > MAX_SCOPE_LENGTH or len(scope.split()) != len(
            set(scope.split())
        ):
            raise BadRequest(
                oauth_error(
                    "invalid_scope",
                    "Ask for each scope once, as a space-separated list.",
                )
            )

    def authorization_flow_token_response(self, request, *args, **kwargs):
        # django-oauth-toolkit reads each new token back from the database
        # only to send app_authorized with it. With nobody listening that is
        # a wasted query on the busiest write path; with a listener, keep it.
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters("client_secret"), name="dispatch")
class RevokeTokenView(ClientAuthenticatedEndpoint, oauth_views.RevokeTokenView):
    def check_form(self, form):
        if not form.get("token"):
            raise BadRequest(oauth_error("invalid_request", "token is required."))


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters("client_secret"), name="dispatch")
class IntrospectTokenView(ClientAuthenticatedEndpoint, View):
    """RFC 7662 introspection, for clients granted the introspection scope.

    django-oauth-toolkit's own view answers any authenticated client and reads
    tokens from the query string too; this one takes a POST body only and
    checks the caller's grant before it looks a token up.
    """

    def check_form(self, form):
        if not form.get("token"):
            raise BadRequest(oauth_error("invalid_request", "token is required."))

    def post(self, request, *args, **kwargs):
        body = request.body.decode("utf-8")
        oauth_request = OauthlibRequest(
            request.build_absolute_uri(),
            "POST",
            body,
            {"HTTP_AUTHORIZATION": request.headers.get("Authorization", "")},
        )
        validator = oauth2_settings.OAUTH2_VALIDATOR_CLASS()
        if not validator.authenticate_client(oauth_request):
            return oauth_error(
                "invalid_client", "Client authentication failed.", status=401
            )

        if settings.INTROSPECTION_SCOPE not in oauth_request.client.scopes:
            return oauth_error(
                "unauthorized_client",
                "This client is not granted token introspection.",
                status=403,
            )
        response = oauth_views.IntrospectTokenView.get_token_response(
            dict(parse_qsl(body))["token"]
        )
        response["Cache-Control"] = "no-store"
        return response


class ServerMetadataView(oauth_views.OAuthServerMetadataView):
    """RFC 8414 metadata, without the authorization-endpoint capabilities
    that django-oauth-toolkit adds even when, as here, there is no such
    endpoint."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        metadata = json.loads(response.content)
        if "authorization_endpoint" not in metadata:
            metadata.pop("authorization_response_iss_parameter_supported", None)
        return JsonResponse(metadata, headers={"Cache-Control": "max-age=3600"})
