"""The credential lifecycle through the services and the commands."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from oauth_clients.models import CredentialEvent, M2MClient
from oauth_clients.services import (
    ClientError,
    client_create,
    client_revoke_tokens,
    client_rotate_secret,
    client_set_active,
    client_update,
)
from tests.conftest import post_form, request_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user("alice", is_staff=True)


def api_status(token):
    return (
        Client()
        .get("/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=f"Bearer {token}")
        .status_code
    )


def test_create_records_who_created_the_client_and_its_fingerprint(staff):
    issued = client_create(tdsp_code="ONCOR", name="Oncor WMS", actor=staff)

    client = M2MClient.objects.get(pk=issued.client.pk)
    assert client.created_by == staff
    assert client.secret_fingerprint == issued.secret[-4:]
    assert issued.secret not in client.client_secret
    event = CredentialEvent.objects.get(client=client)
    assert (event.action, event.actor, event.actor_name) == ("created", staff, "alice")
    assert event.tdsp == client.tdsp


def test_rotation_keeps_the_old_secret_working_until_the_deadline(issue_client):
    client, old = issue_client()

    new = client_rotate_secret(client=client, overlap=timedelta(days=7)).secret

    assert request_token(client.client_id, new).status_code == 200
    assert request_token(client.client_id, old).status_code == 200
    client.refresh_from_db()
    assert client.previous_secret_fingerprint == old[-4:]
    assert client.previous_secret_valid_until > timezone.now() + timedelta(days=6)


def test_the_old_secret_fails_after_the_deadline(issue_client):
    client, old = issue_client()
    new = client_rotate_secret(client=client, overlap=timedelta(days=7)).secret

    M2MClient.objects.filter(pk=client.pk).update(
        previous_secret_valid_until=timezone.now() - timedelta(seconds=1)
    )

    response = request_token(client.client_id, old)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert request_token(client.client_id, new).status_code == 200


def test_rotation_without_overlap_stops_the_old_secret_at_once(issue_client):
    client, old = issue_client()

    new = client_rotate_secret(client=client, overlap=timedelta(0)).secret

    assert request_token(client.client_id, old).status_code == 401
    assert request_token(client.client_id, new).status_code == 200
    client.refresh_from_db()
    assert client.previous_secret == ""


def test_at_most_two_secrets_are_valid_at_once(issue_client):
    client, first = issue_client()
    second = client_rotate_secret(client=client).secret

    third = client_rotate_secret(client=client).secret

    assert request_token(client.client_id, first).status_code == 401
    assert request_token(client.client_id, second).status_code == 200
    assert request_token(client.client_id, third).status_code == 200


def test_the_previous_secret_works_by_body_credentials_too(issue_client):
    client, old = issue_client()
    client_rotate_secret(client=client)

    response = post_form(
        "/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": old,
        },
    )

    assert response.status_code == 200


def test_an_expired_secret_gets_no_token(issue_client):
    client, secret = issue_client()

    M2MClient.objects.filter(pk=client.pk).update(
        secret_expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = request_token(client.client_id, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_rotation_refuses_an_overlap_beyond_ninety_days(issue_client):
    client, _secret = issue_client()

    with pytest.raises(ClientError, match="overlap"):
        client_rotate_secret(client=client, overlap=timedelta(days=91))


def test_revoking_stops_every_live_token_and_keeps_the_client(issue_client):
    client, secret = issue_client()
    tokens = [request_token(client.client_id, secret).json()["access_token"]]
    tokens.append(request_token(client.client_id, secret).json()["access_token"])
    assert [api_status(token) for token in tokens] == [200, 200]

    revoked = client_revoke_tokens(client=client)

    assert revoked == 2
    assert [api_status(token) for token in tokens] == [401, 401]
    fresh = request_token(client.client_id, secret).json()["access_token"]
    assert api_status(fresh) == 200
    assert CredentialEvent.objects.filter(
        client=client, action="tokens_revoked", detail__tokens=2
    ).exists()


def test_disabling_revokes_tokens_and_enabling_allows_only_new_ones(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    client_set_active(client=client, active=False)

    assert api_status(token) == 401
    assert request_token(client.client_id, secret).status_code == 401

    client_set_active(client=client, active=True)

    # A client disabled because its secret leaked must not get the leaked
    # tokens back when it is enabled again.
    assert api_status(token) == 401
    fresh = request_token(client.client_id, secret).json()["access_token"]
    assert api_status(fresh) == 200
    actions = list(
        CredentialEvent.objects.filter(client=client)
        .order_by("time", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["created", "disabled", "enabled"]


def test_the_token_lifetime_is_per_client(issue_client):
    client, secret = issue_client()
    client_update(client=client, access_token_seconds=600)

    response = request_token(client.client_id, secret)

    assert response.json()["expires_in"] == 600
    stored = AccessToken.objects.get(application=client)
    assert (
        timedelta(seconds=590)
        < stored.expires - timezone.now()
        <= timedelta(seconds=600)
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"access_token_seconds": 3601}, "between 60 and 3600"),
        ({"allowed_scopes": "ginr:write"}, "Unknown scopes"),
        ({"name": " "}, "needs a name"),
        ({"client_secret": "x"}, "Cannot change client_secret"),
        ({"secret_expires_at": timezone.now() - timedelta(days=1)}, "future"),
    ],
)
def test_client_update_refuses_bad_settings(issue_client, changes, message):
    client, _secret = issue_client()

    with pytest.raises(ClientError, match=message):
        client_update(client=client, **changes)


def test_settings_changes_are_recorded_with_old_and_new_values(issue_client, staff):
    client, _secret = issue_client()

    client_update(
        client=client,
        actor=staff,
        contact_email="ops@example.com",
        access_token_seconds=900,
    )

    event = CredentialEvent.objects.get(client=client, action="settings_changed")
    assert event.detail["changed"] == {
        "contact_email": ["", "ops@example.com"],
        "access_token_seconds": [3600, 900],
    }


def test_the_database_refuses_a_token_lifetime_over_an_hour(issue_client):
    from django.db import IntegrityError, transaction

    client, _secret = issue_client()

    with (
        pytest.raises(IntegrityError, match="lifetime"),
        transaction.atomic(),
    ):
        M2MClient.objects.filter(pk=client.pk).update(access_token_seconds=7200)


# --- the same actions as management commands --------------------------------


def test_rotate_command_prints_a_new_secret_and_is_audited(issue_client, capsys):
    client, old = issue_client()

    call_command("rotate_m2m_client", client.client_id, "--overlap-days", "0", "--json")

    new = json.loads(capsys.readouterr().out)["client_secret"]
    assert request_token(client.client_id, new).status_code == 200
    assert request_token(client.client_id, old).status_code == 401
    event = CredentialEvent.objects.get(client=client, action="secret_rotated")
    assert event.actor is None
    assert event.actor_name.startswith("command")


def test_revoke_disable_enable_commands_call_the_services(issue_client, capsys):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    call_command("revoke_m2m_client_tokens", client.client_id)
    assert api_status(token) == 401
    call_command("disable_m2m_client", client.client_id)
    assert request_token(client.client_id, secret).status_code == 401
    call_command("enable_m2m_client", client.client_id)
    assert request_token(client.client_id, secret).status_code == 200

    out = capsys.readouterr().out
    assert "1 live token(s) revoked." in out
    assert set(
        CredentialEvent.objects.filter(client=client).values_list("action", flat=True)
    ) == {"created", "tokens_revoked", "disabled", "enabled"}


def test_list_command_shows_fingerprints_never_secrets(issue_client, capsys):
    client, secret = issue_client()
    client_rotate_secret(client=client)

    call_command("list_m2m_clients", "--tdsp", "AEP_TEXAS")

    out = capsys.readouterr().out
    assert client.client_id in out
    assert f"…{secret[-4:]}" in out
    assert secret not in out


def test_commands_refuse_an_unknown_client_id():
    with pytest.raises(CommandError, match="No client with client_id 'nope'"):
        call_command("disable_m2m_client", "nope")


def test_staff_set_a_clients_api_rate_limit(issue_client):
    client, secret = issue_client()
    client_update(client=client, rate_limit_per_minute=2)
    token = request_token(client.client_id, secret).json()["access_token"]

    statuses = [api_status(token) for _ in range(3)]

    assert statuses == [200, 200, 429]
