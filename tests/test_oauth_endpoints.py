import hashlib

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from oauth2_provider.models import AccessToken

from ginr_m2m.middleware import HeadWithoutBodyMiddleware
from oauth_clients.hashers import ClientSecretHasher
from oauth_clients.models import M2MClient
from tests.conftest import basic_auth, post_form, request_token

pytestmark = pytest.mark.django_db

LIST = "/ginr/rest/dashboard/tdspList"


def bearer_get(path, token):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


# --- RFC 8414 server metadata -------------------------------------------------


def test_server_metadata_advertises_only_what_the_server_accepts():
    response = Client().get("/.well-known/oauth-authorization-server")

    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == "http://testserver"
    assert metadata["token_endpoint"] == "http://testserver/oauth/token"
    assert metadata["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert metadata["introspection_endpoint"] == "http://testserver/oauth/introspect"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert metadata["response_types_supported"] == []
    assert metadata["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert set(metadata["scopes_supported"]) == {"ginr:read", "introspection"}
    assert "authorization_endpoint" not in metadata
    assert "authorization_response_iss_parameter_supported" not in metadata
    assert "registration_endpoint" not in metadata
    assert "code_challenge_methods_supported" not in metadata


# --- RFC 7009 revocation -------------------------------------------------------


def test_a_client_revokes_its_own_token(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    response = post_form(
        "/oauth/revoke",
        {"token": token, "token_type_hint": "access_token"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert bearer_get(LIST, token).status_code == 401


def test_a_client_cannot_revoke_another_clients_token(issue_client):
    owner, owner_secret = issue_client()
    other, other_secret = issue_client(tdsp_code="ONCOR")
    token = request_token(owner.client_id, owner_secret).json()["access_token"]

    response = post_form(
        "/oauth/revoke",
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(other.client_id, other_secret),
    )

    # RFC 7009 answers 200 either way, so nobody learns whether a token exists.
    assert response.status_code == 200
    assert bearer_get(LIST, token).status_code == 200


def test_revocation_needs_client_authentication(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    response = post_form("/oauth/revoke", {"token": token})

    assert response.status_code == 401
    assert bearer_get(LIST, token).status_code == 200


# --- RFC 7662 introspection -----------------------------------------------------


def test_introspection_is_refused_to_a_client_without_the_scope(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    response = post_form(
        "/oauth/introspect",
        {"token": token},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )

    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"


def test_a_client_granted_introspection_learns_a_tokens_state(issue_client):
    gateway, gateway_secret = issue_client(scopes=["introspection"])
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]
    auth = basic_auth(gateway.client_id, gateway_secret)

    live = post_form("/oauth/introspect", {"token": token}, HTTP_AUTHORIZATION=auth)
    unknown = post_form(
        "/oauth/introspect", {"token": "x" * 30}, HTTP_AUTHORIZATION=auth
    )

    assert live.status_code == 200
    assert live.json()["active"] is True
    assert live.json()["client_id"] == client.client_id
    assert live.json()["scope"] == "ginr:read"
    assert live["Cache-Control"] == "no-store"
    assert unknown.json() == {"active": False}


def test_introspection_takes_no_token_in_the_url(issue_client):
    gateway, gateway_secret = issue_client(scopes=["introspection"])

    response = Client().get(
        "/oauth/introspect?token=abc",
        HTTP_AUTHORIZATION=basic_auth(gateway.client_id, gateway_secret),
    )

    assert response.status_code == 405


# --- Brute force ----------------------------------------------------------------

FEW_FAILURES = {"per_client": 3, "per_address": 100, "period": 300}


@pytest.fixture
def secret_checks(monkeypatch):
    """Count client-secret verifications, leaving them to do their work."""
    calls = []
    verify = ClientSecretHasher.verify

    def counting_verify(self, password, encoded):
        calls.append(encoded)
        return verify(self, password, encoded)

    monkeypatch.setattr(ClientSecretHasher, "verify", counting_verify)
    return calls


@override_settings(CLIENT_AUTH_FAILURE_LIMITS=FEW_FAILURES)
def test_repeated_failures_for_a_client_id_are_refused_before_any_secret_check(
    issue_client, secret_checks
):
    client, secret = issue_client()
    for _ in range(3):
        assert request_token(client.client_id, "wrong").status_code == 401
    checked_while_failing = len(secret_checks)

    refused = request_token(client.client_id, secret)

    assert checked_while_failing == 3
    assert len(secret_checks) == 3
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert refused["Content-Type"] == "application/problem+json"


@override_settings(
    CLIENT_AUTH_FAILURE_LIMITS={"per_client": 100, "per_address": 3, "period": 300}
)
def test_repeated_failures_from_an_address_are_refused(issue_client):
    client, secret = issue_client()
    for number in range(3):
        assert request_token(f"unknown-{number}", "wrong").status_code == 401

    refused = request_token(client.client_id, secret)
    elsewhere = Client(REMOTE_ADDR="192.0.2.7").post(
        "/oauth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
    )

    assert refused.status_code == 429
    assert elsewhere.status_code == 200


@override_settings(CLIENT_AUTH_FAILURE_LIMITS=FEW_FAILURES)
def test_failures_of_one_client_do_not_lock_out_another(issue_client):
    victim, victim_secret = issue_client()
    bystander, bystander_secret = issue_client(tdsp_code="ONCOR")
    for _ in range(3):
        request_token(victim.client_id, "wrong")

    assert request_token(victim.client_id, victim_secret).status_code == 429
    assert request_token(bystander.client_id, bystander_secret).status_code == 200


# --- Per-client API rate limits --------------------------------------------------


def test_one_client_exhausting_its_limit_leaves_another_on_the_same_address(
    issue_client,
):
    limited, limited_secret = issue_client()
    M2MClient.objects.filter(pk=limited.pk).update(rate_limit_per_minute=3)
    other, other_secret = issue_client()
    limited_token = request_token(limited.client_id, limited_secret).json()
    other_token = request_token(other.client_id, other_secret).json()

    answers = [bearer_get(LIST, limited_token["access_token"]) for _ in range(4)]
    unaffected = bearer_get(LIST, other_token["access_token"])

    assert [response.status_code for response in answers] == [200, 200, 200, 429]
    throttled = answers[-1]
    assert throttled["Content-Type"] == "application/problem+json"
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert throttled["RateLimit-Policy"] == '"per-client";q=3;w=60'
    assert throttled["RateLimit"].startswith('"per-client";r=0;t=')
    assert unaffected.status_code == 200
    assert unaffected["RateLimit-Policy"] == '"per-client";q=600;w=60'
    assert unaffected["RateLimit"].startswith('"per-client";r=599;t=')


def test_rate_limit_headers_count_down(api, token_for):
    token = token_for()

    first = api(LIST, token=token)
    second = api(LIST, token=token)

    assert first["RateLimit"].startswith('"per-client";r=599;')
    assert second["RateLimit"].startswith('"per-client";r=598;')


# --- Tokens and scopes follow the client ------------------------------------------


def test_a_scope_withdrawn_from_a_client_stops_its_live_tokens(token_for):
    token = token_for()
    checksum = hashlib.sha256(token.encode()).hexdigest()
    client_id = AccessToken.objects.get(token_checksum=checksum).application_id
    M2MClient.objects.filter(pk=client_id).update(allowed_scopes="introspection")

    response = bearer_get(LIST, token)

    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]


def test_head_responses_lose_their_body_before_the_server_sees_them():
    middleware = HeadWithoutBodyMiddleware(lambda request: HttpResponse(b"{}"))

    head = middleware(RequestFactory().head(LIST))
    get = middleware(RequestFactory().get(LIST))

    assert head.content == b""
    assert get.content == b"{}"


def limited_token(issue_client, per_minute):
    client, secret = issue_client()
    M2MClient.objects.filter(pk=client.pk).update(rate_limit_per_minute=per_minute)
    return request_token(client.client_id, secret).json()["access_token"]


def test_a_missing_ginr_counts_against_the_quota(issue_client):
    token = limited_token(issue_client, 2)

    statuses = [
        bearer_get("/ginr/rest/ginrRequest/99INR9999", token).status_code
        for _ in range(3)
    ]

    assert statuses == [404, 404, 429]


def test_revalidations_are_free_but_bounded(issue_client):
    token = limited_token(issue_client, 2)
    # The quota, spent.
    assert [bearer_get(LIST, token).status_code for _ in range(3)] == [200, 200, 429]

    revalidations = [
        Client()
        .get(LIST, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IF_NONE_MATCH="*")
        .status_code
        for _ in range(21)
    ]

    # Ten times the quota may still be answered 304, then no more.
    assert revalidations == [304] * 20 + [429]
