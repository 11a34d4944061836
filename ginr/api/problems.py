"""API errors as RFC 9457 problem details (application/problem+json).

RFC 6750's challenges stay in the WWW-Authenticate header: a 401 keeps the
Bearer challenge DRF takes from the authenticator, and a 403 for a missing
scope carries error="insufficient_scope".
"""

from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from ginr.api.exceptions import InsufficientScope

PROBLEM_CONTENT_TYPE = "application/problem+json"
# A lost or refused database connection, or a statement cancelled by
# statement_timeout (psycopg reports both as OperationalError): the client
# should retry, so 503 with Retry-After, never 500.
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


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
        if oauth_error.get("error"):
            return oauth_error["error"], oauth_error.get("error_description")
        return None, None
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return (codes if isinstance(codes, str) else None), None


def _database_unavailable():
    set_rollback()
    return Response(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "The service cannot reach its database; retry later.",
        },
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_exception_handler(exc, context):
    if isinstance(exc, DATABASE_ERRORS):
        return _database_unavailable()

    response = exception_handler(exc, context)
    if response is None:
        return None

    status = HTTPStatus(response.status_code)
    detail = getattr(exc, "detail", None)
    problem = {
        "type": "about:blank",
        "title": status.phrase,
        "status": status.value,
        "detail": _flatten(detail) if detail is not None else status.description,
    }
    code, oauth_detail = _code_and_detail(exc, context.get("request"))
    if code:
        problem["code"] = code
    if oauth_detail:
        problem["detail"] = oauth_detail
    response.data = problem
    response.content_type = PROBLEM_CONTENT_TYPE
    if isinstance(exc, InsufficientScope):
        response["WWW-Authenticate"] = exc.challenge
    return response
