"""Health probes, request ids, metrics and the answer to database errors."""

import json

import pytest
from django.db import OperationalError, connection
from django.test import Client

from ginr.api.problems import problem_exception_handler

pytestmark = pytest.mark.django_db

CLOSED_PORT = 8799


def test_liveness_is_ok_and_never_cached():
    response = Client().get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_readiness_checks_the_database():
    response = Client().get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
    assert "no-store" in response["Cache-Control"]


def test_readiness_checks_redis_when_configured(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"

    response = Client().get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readiness_is_503_problem_when_redis_is_unreachable(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"

    response = Client().get("/health/ready")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}


def test_probes_refuse_other_methods():
    assert Client().post("/health/ready").status_code == 405


def test_a_sane_request_id_is_echoed():
    response = Client().get("/health/live", HTTP_X_REQUEST_ID="lb-1234.abcd")

    assert response["X-Request-ID"] == "lb-1234.abcd"


@pytest.mark.parametrize(
    "header", [None, "", "x" * 65, "two words", "evil\u00e9", 'a"b', "a\\nb"]
)
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(header):
    extra = {} if header is None else {"HTTP_X_REQUEST_ID": header}

    response = Client().get("/health/live", **extra)

    assert response["X-Request-ID"] != header
    assert len(response["X-Request-ID"]) == 32


def test_a_database_error_in_an_api_view_is_503_problem_with_retry_after():
    response = problem_exception_handler(
        OperationalError("connection refused"), {"request": None}
    )

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert json.loads(response.content)["code"] == "database_unavailable"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's"
)
def test_statements_time_out_before_a_gunicorn_worker_would():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (timeout,) = cursor.fetchone()

    assert timeout == "10s"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="random_page_cost is PostgreSQL's"
)
def test_the_planner_prices_random_reads_as_on_an_ssd():
    # With the server default of 4 a large TSP's list is counted by scanning
    # every GINR (BENCHMARKS.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        (cost,) = cursor.fetchone()

    assert cost == "1.1"


def test_metrics_are_not_found_unless_enabled(settings):
    settings.METRICS_ENABLED = False
    settings.METRICS_TOKEN = "scrape-token-for-tests"

    response = Client().get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests"
    )

    assert response.status_code == 404


def test_metrics_are_not_found_without_the_token_from_elsewhere(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "scrape-token-for-tests"
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert Client().get("/metrics").status_code == 404
    wrong = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
    assert wrong.status_code == 404


def test_metrics_are_served_from_an_allowed_network(settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]

    response = Client().get("/metrics")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def _sample(body, line_start):
    for line in body.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_tokens_by_outcome_and_api_calls_by_client(
    settings, issue_client, api
):
    from tests.conftest import request_token

    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "scrape-token-for-tests"

    def scrape():
        response = Client().get(
            "/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-tests"
        )
        assert response.status_code == 200
        return response.content.decode()

    client, secret = issue_client()
    issued = 'ginr_token_requests_total{outcome="issued"}'
    refused = 'ginr_token_requests_total{outcome="invalid_client"}'
    calls = (
        f'ginr_api_requests_total{{client_id="{client.client_id}",'
        f'endpoint="ginr-types-tdsp",status="200"}}'
    )
    before = scrape()

    token = request_token(client.client_id, secret).json()["access_token"]
    request_token(client.client_id, "not-the-secret")
    api("/ginr/rest/types/tdsp", token=token)
    api("/ginr/rest/types/tdsp", token=token)
    after = scrape()

    assert _sample(after, issued) == _sample(before, issued) + 1
    assert _sample(after, refused) == _sample(before, refused) + 1
    assert _sample(after, calls) == 2
    assert 'ginr_http_request_duration_seconds_bucket{endpoint="ginr-types-tdsp"' in (
        after
    )
    # Raw paths (with GINR ids) never become label values.
    assert "/ginr/rest" not in after


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
def test_the_oauth_endpoints_take_posts_without_a_csrf_cookie(issue_client, path):
    from tests.conftest import basic_auth

    client, secret = issue_client()
    browserless = Client(enforce_csrf_checks=True)

    response = browserless.post(
        path,
        {"grant_type": "client_credentials", "token": "x"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )

    assert response.status_code != 403
    assert "CSRF" not in response.content.decode()
