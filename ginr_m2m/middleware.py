import logging
import time

from django.core.signals import request_finished

from ginr_m2m import metrics, request_context
from ginr_m2m.problems import MACHINE_PREFIXES, problem_response

access_logger = logging.getLogger("ginr_m2m.access")


class RequestContextMiddleware:
    """Binds a request id (echoed as X-Request-ID), logs and measures the request.

    Outermost, so that every log line of the request carries the id and the
    access line and metrics see the final status, 503s included.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_context.request_id_from(
            request.headers.get("X-Request-ID")
        )
        # Set here and cleared only when the response is closed, so that
        # Django's own lines about the response carry them too.
        request_context.request_id.set(request_id)
        request_context.client_id.set(None)
        request_context.tsp_id.set(None)
        started = time.monotonic()
        response = self.get_response(request)
        seconds = time.monotonic() - started
        response["X-Request-ID"] = request_id
        metrics.observe(request, response, seconds, request_context.client_id.get())
        # The path only: query strings are the caller's business.
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "endpoint": metrics.endpoint_of(request),
            },
        )
        return response


def clear_request_context(**kwargs):
    # Workers serve one request after another in the same thread: nothing of
    # this request's client may be carried into the next one's lines.
    request_context.request_id.set(None)
    request_context.client_id.set(None)
    request_context.tsp_id.set(None)


request_finished.connect(clear_request_context)


class HeadWithoutBodyMiddleware:
    """Send no body with a HEAD response.

    Django renders HEAD like GET; gunicorn then drops the body itself and logs
    a warning for every such request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming:
            response.content = b""
        return response


class MethodNotAllowedAsProblemMiddleware:
    """A 405 from a plain Django view (health, metadata) as problem+json.

    Django's own 405 has an empty text/html body; machine clients get the
    same problem details as everywhere else, with the Allow header kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith(MACHINE_PREFIXES)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            return problem_response(
                405,
                f"Use {response['Allow']}.",
                "method_not_allowed",
                headers={"Allow": response["Allow"]},
            )
        return response
