"""Prometheus metrics, served at /metrics only to those allowed to scrape.

Labels are bounded on purpose: endpoints are URL names (never raw paths, which
carry GINR ids), client ids number in the hundreds at most, and token outcomes
are the OAuth error codes of RFC 6749 section 5.2. Under gunicorn with several
workers, set PROMETHEUS_MULTIPROC_DIR so that a scrape sums every worker.
"""

import hmac
import ipaddress
import json
import os

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

TOKEN_REQUESTS = Counter(
    "ginr_token_requests",
    "Token endpoint requests by outcome: issued, an OAuth error code, "
    "unavailable (database down) or error.",
    ["outcome"],
)
API_REQUESTS = Counter(
    "ginr_api_requests",
    "GINR API requests by calling client (anonymous before authentication), "
    "endpoint and HTTP status.",
    ["client_id", "endpoint", "status"],
)
REQUEST_LATENCY = Histogram(
    "ginr_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# RFC 6749 section 5.2, in its order; the audit admin filters by them too.
OAUTH_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
)
TOKEN_VIEW = "oauth2_provider:token"  # noqa: S105 - a URL name
API_VIEWS = {"ginr-tdsp-list", "ginr-types-tdsp", "ginr-request-detail"}


def endpoint_of(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    # The admin has hundreds of URL names; one label is enough for it.
    if match.namespace == "admin":
        return "admin"
    return match.view_name


def token_outcome(response):
    if response.status_code == 200:
        return "issued"
    if response.status_code == 503:
        return "unavailable"
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        error = None
    return error if error in OAUTH_ERRORS else "error"


def observe(request, response, seconds, client_id):
    endpoint = endpoint_of(request)
    REQUEST_LATENCY.labels(endpoint).observe(seconds)
    if endpoint == TOKEN_VIEW:
        TOKEN_REQUESTS.labels(token_outcome(response)).inc()
    elif endpoint in API_VIEWS:
        API_REQUESTS.labels(
            client_id or "anonymous", endpoint, str(response.status_code)
        ).inc()


def _allowed(request):
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


@never_cache
def metrics_view(request):
    # Not found, rather than forbidden: the path is not advertised.
    if not settings.METRICS_ENABLED or not _allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
