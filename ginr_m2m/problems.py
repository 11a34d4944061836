"""Answers for when the database cannot be reached.

Every path (the API, the token endpoint, health, the admin) answers 503
application/problem+json with Retry-After instead of a 500 page, so clients
back off and retry. A statement cancelled by statement_timeout is reported
by psycopg as an OperationalError too, and gets the same answer.
"""

import json
import logging
import sys

from django.http import HttpResponse

from ginr.api.problems import (
    DATABASE_ERRORS,
    PROBLEM_CONTENT_TYPE,
    RETRY_AFTER_SECONDS,
)

logger = logging.getLogger(__name__)


def problem_response(status, title, detail, headers=None, **extensions):
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    response = HttpResponse(
        json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def database_unavailable(**extensions):
    return problem_response(
        503,
        "Service Unavailable",
        "The service cannot reach its database; retry later.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        **extensions,
    )


def is_database_error(exc):
    return isinstance(exc, DATABASE_ERRORS)


class DatabaseUnavailableMiddleware:
    """Turns a database error raised by any view into a 503 problem."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_database_error(exception):
            return None
        # The exception class only: its text can quote SQL and parameters.
        logger.warning(
            "Database unavailable: %s on %s",
            type(exception).__name__,
            request.path,
        )
        return database_unavailable()


def server_error(request):
    """handler500: the last resort, for errors raised outside a view.

    Django calls it inside its except block, so the exception is at hand.
    """
    exception = sys.exc_info()[1]
    if is_database_error(exception):
        return database_unavailable()
    return problem_response(
        500, "Internal Server Error", "The server could not complete the request."
    )
