"""Logs: JSON lines with the request's context, and never a secret or token."""

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.test import Client

from ginr_m2m.logging_config import logging_config
from tests.conftest import basic_auth, request_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log_lines():
    """Every line the service logs, as production writes it, at DEBUG."""
    stream = io.StringIO()
    logging.config.dictConfig(logging_config(level="DEBUG", json_lines=True))
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logging.config.dictConfig(settings.LOGGING)


def test_no_secret_token_or_authorization_value_is_ever_logged_at_debug(
    json_log_lines, issue_client
):
    client, secret = issue_client()
    _other, other_secret = issue_client(tdsp_code="ONCOR")
    token = request_token(client.client_id, secret).json()["access_token"]
    secrets = {secret, other_secret, token, basic_auth(client.client_id, secret)}

    request_token(client.client_id, other_secret)
    Client().post(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
        },
    )
    Client().post(
        "/oauth/token?client_secret=" + secret,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )
    for path in ["/ginr/rest/types/tdsp", "/ginr/rest/dashboard/tdspList"]:
        Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
        Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}x")
    Client().get("/ginr/rest/ginrRequest/1", HTTP_AUTHORIZATION=f"Bearer {token}")

    lines = json_log_lines()
    everything = json.dumps(lines)
    assert len(lines) >= 9
    for value in secrets:
        assert value not in everything
        # Nor any long piece of it.
        assert value[8:28] not in everything
    assert "Bearer" not in everything


def test_every_line_of_an_api_request_names_the_request_client_and_tsp(
    json_log_lines, token_for
):
    token = token_for("AEP_TEXAS")
    from oauth_clients.models import M2MClient

    client = M2MClient.objects.latest("id")

    response = Client().get(
        "/ginr/rest/types/tdsp",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_X_REQUEST_ID="req-42",
    )

    assert response.status_code == 200
    lines = [line for line in json_log_lines() if line["request_id"] == "req-42"]
    access = [line for line in lines if line["name"] == "ginr_m2m.access"]
    assert len(access) == 1
    assert access[0]["client_id"] == client.client_id
    assert access[0]["tsp_id"] == client.tdsp_id
    assert access[0]["status"] == 200
    assert access[0]["path"] == "/ginr/rest/types/tdsp"
    assert {"time", "level", "message"} <= set(access[0])


def test_a_token_request_is_logged_with_its_client_once_authenticated(
    json_log_lines, issue_client
):
    client, secret = issue_client()

    request_token(client.client_id, secret)

    (access,) = [line for line in json_log_lines() if line["name"] == "ginr_m2m.access"]
    assert access["client_id"] == client.client_id
    assert access["path"] == "/oauth/token"


def test_lines_outside_a_request_carry_no_client():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    from ginr_m2m.request_context import RequestContextFilter

    RequestContextFilter().filter(record)

    assert (record.request_id, record.client_id, record.tsp_id) == (None, None, None)
