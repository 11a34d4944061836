import hashlib
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import AccessToken
from oauth2_provider.signals import app_authorized

from oauth_clients.models import M2MClient
from tests.conftest import basic_auth, post_form, request_token

pytestmark = pytest.mark.django_db


def test_client_credentials_with_basic_auth_get_a_one_hour_bearer_token(
    issue_client,
):
    client, secret = issue_client()

    response = request_token(client.client_id, secret)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "ginr:read"
    assert response["Cache-Control"] == "no-store"


def test_client_secret_post_is_accepted(issue_client):
    client, secret = issue_client()

    response = post_form(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": secret,
        },
    )

    assert response.status_code == 200


def test_a_wrong_secret_is_invalid_client(issue_client):
    client, secret = issue_client()

    # Changed, whatever its last character was.
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")
    response = request_token(client.client_id, wrong)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_client_id_alone_is_invalid_client(issue_client):
    client, _secret = issue_client()

    response = post_form(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": client.client_id},
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_disabled_client_gets_no_token(issue_client):
    client, secret = issue_client()
    M2MClient.objects.filter(pk=client.pk).update(active=False)

    response = request_token(client.client_id, secret)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_tokens_are_stored_only_as_a_checksum(issue_client):
    client, secret = issue_client()

    token = request_token(client.client_id, secret).json()["access_token"]

    stored = AccessToken.objects.get(application=client)
    assert stored.token == ""
    assert stored.token_checksum == hashlib.sha256(token.encode()).hexdigest()


def test_secrets_are_128_characters_stored_with_the_fast_hasher(issue_client):
    client, secret = issue_client()

    stored = M2MClient.objects.get(pk=client.pk).client_secret

    assert len(secret) == 128
    assert secret.isalnum()
    assert stored.startswith("client_secret_sha256$")
    assert secret not in stored


def test_an_unknown_scope_is_invalid_scope(issue_client):
    client, secret = issue_client()

    response = request_token(client.client_id, secret, scope="read")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_client_granted_no_scope_gets_no_token(issue_client):
    client, secret = issue_client()
    M2MClient.objects.filter(pk=client.pk).update(allowed_scopes="")

    response = request_token(client.client_id, secret)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_the_password_grant_is_not_available(issue_client):
    client, secret = issue_client()

    response = post_form(
        "/oauth/token",
        {"grant_type": "password", "username": "a", "password": "b"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    "path",
    [
        "/oauth/authorize",
        "/oauth/authorize/",
        "/oauth/applications/",
        "/oauth/device-authorization",
        "/o/token/",
    ],
)
def test_no_authorize_device_or_application_views_are_routed(path):
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("client_secret", "", "m2mclient_secret_required"),
        ("client_type", "public", "m2mclient_confidential_only"),
        ("authorization_grant_type", "password", "m2mclient_client_credentials_only"),
    ],
)
def test_the_database_refuses_a_client_that_could_fail_open(
    issue_client, field, value, constraint
):
    client, _secret = issue_client()

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        M2MClient.objects.filter(pk=client.pk).update(**{field: value})


def test_create_m2m_client_prints_credentials_that_work(capsys):
    call_command("create_m2m_client", "--tdsp", "ONCOR", "--name", "Oncor", "--json")

    credentials = json.loads(capsys.readouterr().out)
    assert set(credentials) == {"client_id", "client_secret"}
    client = M2MClient.objects.get(client_id=credentials["client_id"])
    assert client.tdsp.code == "ONCOR"
    assert client.allowed_scopes == "ginr:read"
    response = request_token(credentials["client_id"], credentials["client_secret"])
    assert response.status_code == 200


def test_create_m2m_client_unless_exists_shows_no_secret_the_second_time(capsys):
    arguments = ["--tdsp", "CNP", "--name", "CNP demo", "--unless-exists"]
    call_command("create_m2m_client", *arguments)
    first = capsys.readouterr().out

    call_command("create_m2m_client", *arguments)
    second = capsys.readouterr().out

    assert "CLIENT_SECRET=" in first
    assert "SECRET=" not in second
    assert M2MClient.objects.filter(name="CNP demo").count() == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tdsp", "NOPE", "--name", "x"], "No TSP with code 'NOPE'"),
        (["--tdsp", "AEP_TCC", "--name", "x"], "not active; issue it to AEP_TEXAS"),
        (["--tdsp", "ONCOR", "--name", "x", "--scope", "admin"], "Unknown scopes"),
        (["--tdsp", "ONCOR", "--name", " "], "needs a name"),
    ],
)
def test_create_m2m_client_refuses_bad_input(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_m2m_client", *arguments)

    assert not M2MClient.objects.exists()


def test_issuing_a_token_reads_only_the_client_and_writes_the_token_and_its_event(
    issue_client,
):
    # The audit record comes from what the validator already holds: neither
    # the new token nor its client is read back from the database.
    client, secret = issue_client()

    with CaptureQueriesContext(connection) as captured:
        response = request_token(client.client_id, secret)

    assert response.status_code == 200
    statements = [
        re.match(r'(\w+) .*?(?:FROM|INTO) "(\w+)"', query["sql"]).groups()
        for query in captured
        if query["sql"].split()[0] in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ]
    assert statements == [
        ("SELECT", "oauth_clients_m2mclient"),
        ("INSERT", "oauth2_provider_accesstoken"),
        ("INSERT", "oauth_clients_tokenevent"),
    ]


def test_app_authorized_listeners_still_receive_the_new_token(issue_client):
    client, secret = issue_client()
    received = []

    def listener(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(listener)
    try:
        response = request_token(client.client_id, secret)
    finally:
        app_authorized.disconnect(listener)

    assert response.status_code == 200
    assert [token.application_id for token in received] == [client.pk]
