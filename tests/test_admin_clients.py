"""ERCOT staff run the credential lifecycle in the admin."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from oauth_clients.models import CredentialEvent, M2MClient, TokenEvent
from oauth_clients.services import client_rotate_secret
from tests.conftest import request_token

pytestmark = pytest.mark.django_db

CLIENTS = "/admin/oauth_clients/m2mclient/"


def shown_secret(page):
    match = re.search(rb'<code id="client-secret"[^>]*>([A-Za-z0-9]+)</code>', page)
    return match.group(1).decode() if match else None


def create_in_admin(admin_client, tdsp_pk, name="CNP outage sync", **extra):
    return admin_client.post(
        f"{CLIENTS}add/",
        {
            "tdsp": tdsp_pk,
            "name": name,
            "allowed_scopes": ["ginr:read"],
            "access_token_seconds": 1800,
            "contact_email": "ot@example.com",
            **extra,
        },
        follow=True,
    )


@pytest.fixture
def cnp():
    from ginr.models import Tdsp

    return Tdsp.objects.get(code="CNP")


def test_staff_create_a_client_and_see_its_secret_once(admin_client, admin_user, cnp):
    form = admin_client.get(f"{CLIENTS}add/")

    page = create_in_admin(admin_client, cnp.pk)

    assert b"client_secret" not in form.content
    secret = shown_secret(page.content)
    client = M2MClient.objects.get(name="CNP outage sync")
    assert request_token(client.client_id, secret).status_code == 200
    assert (client.tdsp, client.created_by) == (cnp, admin_user)
    assert (client.access_token_seconds, client.contact_email) == (
        1800,
        "ot@example.com",
    )
    assert "no-store" in page["Cache-Control"]
    again = admin_client.get(page.redirect_chain[-1][0])
    assert again.status_code == 410
    assert shown_secret(again.content) is None
    assert b"cannot be shown again" in again.content


def test_the_client_pages_show_only_the_fingerprint(admin_client, issue_client):
    client, secret = issue_client()
    client_rotate_secret(client=client)

    listing = admin_client.get(f"{CLIENTS}?q={client.client_id}")
    detail = admin_client.get(f"{CLIENTS}{client.pk}/change/")

    assert f"…{secret[-4:]}".encode() in detail.content
    assert b"still valid until" in detail.content
    for page in (listing, detail):
        assert secret.encode() not in page.content
        assert b"client_secret_sha256" not in page.content


def test_create_refuses_a_lifetime_over_an_hour(admin_client, cnp):
    page = create_in_admin(admin_client, cnp.pk, access_token_seconds=7200)

    assert page.status_code == 200
    assert b"less than or equal to 3600" in page.content
    assert not M2MClient.objects.exists()


def test_staff_rotate_with_a_chosen_overlap(admin_client, issue_client):
    client, old = issue_client()

    page = admin_client.post(
        f"{CLIENTS}{client.pk}/rotate/", {"overlap_days": 2}, follow=True
    )

    new = shown_secret(page.content)
    assert new
    assert new != old
    client.refresh_from_db()
    assert (
        timedelta(days=1, hours=23)
        < client.previous_secret_valid_until - timezone.now()
        <= timedelta(days=2)
    )
    assert request_token(client.client_id, old).status_code == 200
    assert request_token(client.client_id, new).status_code == 200
    event = CredentialEvent.objects.get(action="secret_rotated")
    assert event.actor_name == "admin"


def test_staff_revoke_disable_and_enable_from_the_client_page(
    admin_client, issue_client
):
    client, secret = issue_client()
    request_token(client.client_id, secret)

    admin_client.post(f"{CLIENTS}{client.pk}/revoke/")
    admin_client.post(f"{CLIENTS}{client.pk}/disable/")
    disabled = M2MClient.objects.get(pk=client.pk).active
    admin_client.post(f"{CLIENTS}{client.pk}/enable/")

    assert disabled is False
    assert M2MClient.objects.get(pk=client.pk).active is True
    events = list(
        CredentialEvent.objects.filter(client=client)
        .order_by("time", "id")
        .values_list("action", "actor_name")
    )
    assert events[1:] == [
        ("tokens_revoked", "admin"),
        ("disabled", "admin"),
        ("enabled", "admin"),
    ]


def test_bulk_actions_use_the_same_services(admin_client, issue_client):
    client, secret = issue_client()

    admin_client.post(
        CLIENTS, {"action": "disable", "_selected_action": [client.pk]}, follow=True
    )

    assert request_token(client.client_id, secret).status_code == 401
    assert CredentialEvent.objects.filter(client=client, action="disabled").exists()


def test_settings_edited_in_admin_go_through_the_service(admin_client, issue_client):
    client, _secret = issue_client()

    admin_client.post(
        f"{CLIENTS}{client.pk}/change/",
        {
            "name": client.name,
            "allowed_scopes": ["ginr:read"],
            "access_token_seconds": 300,
            "contact_email": "new@example.com",
            "secret_expires_at_0": "",
            "secret_expires_at_1": "",
        },
    )

    client.refresh_from_db()
    assert (client.access_token_seconds, client.contact_email) == (
        300,
        "new@example.com",
    )
    event = CredentialEvent.objects.get(client=client, action="settings_changed")
    assert event.actor_name == "admin"
    assert set(event.detail["changed"]) == {"access_token_seconds", "contact_email"}


def test_clients_cannot_be_deleted_in_admin(admin_client, issue_client):
    client, _secret = issue_client()

    response = admin_client.post(f"{CLIENTS}{client.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert M2MClient.objects.filter(pk=client.pk).exists()


def test_the_list_flags_expiring_secrets_and_unused_clients(admin_client, issue_client):
    expiring, _ = issue_client(name="expiring")
    idle, _ = issue_client(name="idle")
    fresh, fresh_secret = issue_client(name="fresh")
    M2MClient.objects.filter(pk=expiring.pk).update(
        secret_expires_at=timezone.now() + timedelta(days=10)
    )
    M2MClient.objects.filter(pk__in=[idle.pk, fresh.pk]).update(
        created=timezone.now() - timedelta(days=200)
    )
    request_token(fresh.client_id, fresh_secret)
    TokenEvent.objects.update(time=timezone.now() - timedelta(days=5))

    page = admin_client.get(CLIENTS).content.decode()

    rows = {
        name: row
        for row in page.split("<tr")
        for name in ("expiring", "idle", "fresh")
        if f">{name}<" in row
    }
    assert "secret expires within 30 days" in rows["expiring"]
    assert "unused for 90 days" in rows["idle"]
    assert "unused" not in rows["fresh"]


def test_a_secret_expiry_in_the_past_is_refused_in_the_form(admin_client, issue_client):
    client, _secret = issue_client()

    page = admin_client.post(
        f"{CLIENTS}{client.pk}/change/",
        {
            "name": client.name,
            "allowed_scopes": ["ginr:read"],
            "access_token_seconds": 3600,
            "contact_email": "",
            "secret_expires_at_0": "2020-01-01",
            "secret_expires_at_1": "00:00:00",
        },
    )

    assert page.status_code == 200
    assert b"must be in the future" in page.content
    assert not CredentialEvent.objects.filter(action="settings_changed").exists()


@pytest.mark.parametrize("model", ["grant", "idtoken", "refreshtoken"])
def test_the_admin_offers_no_grants_id_tokens_or_refresh_tokens(admin_client, model):
    index = admin_client.get("/admin/")

    assert admin_client.get(f"/admin/oauth2_provider/{model}/").status_code == 404
    assert f"/admin/oauth2_provider/{model}/".encode() not in index.content
