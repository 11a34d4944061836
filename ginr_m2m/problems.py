"""RFC 9457 problem details for everything outside the admin.

Machine clients get JSON for every error under /ginr, /oauth, /.well-known
and /health, never Django's HTML pages: the handlers below answer 400, 403,
404 and 500 there, and views use problem_response directly.
"""

from http import HTTPStatus

from django.http import JsonResponse
from django.views import csrf, defaults

PROBLEM_CONTENT_TYPE = "application/problem+json"
MACHINE_PREFIXES = ("/ginr/", "/oauth/", "/.well-known/", "/health/")


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


def problem_response(status, detail=None, code=None, headers=None):
    response = JsonResponse(
        problem(status, detail, code),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"separators": (",", ":")},
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


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
    # Details of the failure go to the error log, never to the client.
    if _for_machines(request):
        return problem_response(
            500, "The server could not answer; try again.", "server_error"
        )
    return defaults.server_error(request)
