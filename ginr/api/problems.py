"""DRF errors as RFC 9457 problem details (application/problem+json).

RFC 6750's challenges stay in the WWW-Authenticate header: a 401 keeps the
Bearer challenge DRF takes from the authenticator, and an exception carrying
a `challenge` (a 403 for a missing scope, a 400 for a malformed token
request) sends its own.
"""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler, set_rollback

from ginr_m2m.problems import (
    DATABASE_ERRORS,
    PROBLEM_CONTENT_TYPE,
    database_unavailable,
    problem,
)


def _flatten(detail):
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)


def _code_and_detail(exc, request):
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # The OAuth error the authenticator found (invalid_token), if any; a
        # request without credentials gets no error code (RFC 6750 section 3).
        oauth_error = getattr(request, "oauth2_error", {})
        return oauth_error.get("error"), oauth_error.get("error_description")
    if isinstance(exc, exceptions.ValidationError):
        return "invalid", None
    if isinstance(exc, Http404):
        return "not_found", None
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return (codes if isinstance(codes, str) else None), None


def problem_exception_handler(exc, context):
    # A lost or refused database connection, or a cancelled statement: the
    # client should retry, so 503 with Retry-After, never 500.
    if isinstance(exc, DATABASE_ERRORS):
        set_rollback()
        return database_unavailable()

    response = exception_handler(exc, context)
    if response is None:
        return None

    code, oauth_detail = _code_and_detail(exc, context.get("request"))
    detail = getattr(exc, "detail", None)
    response.data = problem(
        response.status_code,
        oauth_detail or (_flatten(detail) if detail is not None else None),
        code,
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    challenge = getattr(exc, "challenge", None)
    if challenge:
        response["WWW-Authenticate"] = challenge
    return response
