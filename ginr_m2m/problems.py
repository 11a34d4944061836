"""RFC 9457 problem details for everything outside the admin.

Machine clients get JSON for every error under /ginr, /oauth, /.well-known
and /health, never Django's HTML pages: the handlers below answer 400, 403,
404 and 500 there, and views use problem_response directly.

When the database cannot be reached, every path (the API, the token endpoint,
readiness, the admin) answers 503 with Retry-After instead, so that clients
back off and retry. A statement cancelled by statement_timeout is reported by
psycopg as an OperationalError too, and gets the same answer.
"""

import logging
import sys
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import csrf, defaults

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
MACHINE_PREFIXES = ("/ginr/", "/oauth/", "/.well-known/", "/health/")
DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def problem(status, detail=None, code=None):
    status = HTTPStatus(status)
    body = {
        "type": "about:blank",
        "title": status.phrase,
        "status": status.value,
        "detail": detail or status.description,
    }
    if code:
        body["code"] = code
    return body


def problem_response(status, detail=None, code=None, headers=None, extra=None):
    response = JsonResponse(
        {**problem(status, detail, code), **(extra or {})},
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":")},
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def database_unavailable(extra=None):
    return problem_response(
        503,
        "The service cannot reach its database; retry later.",
        "database_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra=extra,
    )


class DatabaseUnavailableMiddleware:
    """Turns a database error raised by any view into a 503 problem."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        # The exception class only: its text can quote SQL and parameters.
        logger.warning(
            "Database unavailable: %s on %s", type(exception).__name__, request.path
        )
        return database_unavailable()


def _for_machines(request):
    return request.path.startswith(MACHINE_PREFIXES)


def bad_request(request, exception):
    if _for_machines(request):
        return problem_response(400, "The request is malformed.", "bad_request")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _for_machines(request):
        return problem_response(403, code="permission_denied")
    return defaults.permission_denied(request, exception)


def csrf_failure(request, reason=""):
    if _for_machines(request):
        return problem_response(403, "CSRF verification failed.", "csrf_failed")
    return csrf.csrf_failure(request, reason)


def page_not_found(request, exception):
    if _for_machines(request):
        return problem_response(404, "There is no resource at this path.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls this inside its except block: a database error raised
    # outside a view (in a middleware) is at hand here, and is a 503 too.
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable()
    # Details of the failure go to the error log, never to the client.
    if _for_machines(request):
        return problem_response(
            500, "The server could not answer; try again.", "server_error"
        )
    return defaults.server_error(request)
