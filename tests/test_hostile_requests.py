"""A catalogue of malformed and hostile requests, each with its exact answer.

Every case names the status, the error code (OAuth `error` on /oauth, the
problem `code` or nothing on the API) and the headers RFC 6749, RFC 6750 and
RFC 9457 promise for it. None may be a 500, an HTML page or another TSP's
data.
"""

import base64
import json
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.conftest import basic_auth

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
BASIC = 'Basic realm="ginr-oauth", charset="UTF-8"'
LIST = "/ginr/rest/dashboard/tdspList"
DETAIL = "/ginr/rest/ginrRequest"


@dataclass
class Case:
    name: str
    method: str
    path: str
    status: int
    code: str | None = None
    body: str | bytes | None = None
    content_type: str = FORM
    # Placeholders: {id}, {secret}, {basic}, {token}; see `fill`.
    headers: dict = field(default_factory=dict)
    expect_headers: dict = field(default_factory=dict)

    def __str__(self):
        return self.name


def token_case(name, body, status, code, headers=None, **kwargs):
    return Case(
        name,
        "post",
        "/oauth/token",
        status,
        code,
        body=body,
        headers={"Authorization": "{basic}"} if headers is None else headers,
        **kwargs,
    )


def api_case(name, path, status, code=None, token="Bearer {token}", **kwargs):  # noqa: S107
    headers = {"Authorization": token} if token else {}
    return Case(name, "get", path, status, code, headers=headers, **kwargs)


GRANT = "grant_type=client_credentials"
INVALID_TOKEN_CHALLENGE = {
    "WWW-Authenticate": 'Bearer realm="ginr",error="invalid_token"'
}

CATALOGUE = [
    # --- Token endpoint: RFC 6749 section 5.2 -----------------------------
    token_case("no grant_type", "scope=ginr:read", 400, "invalid_request"),
    token_case("empty grant_type", "grant_type=", 400, "invalid_request"),
    token_case(
        "password grant",
        "grant_type=password&username=a&password=b",
        400,
        "unsupported_grant_type",
    ),
    token_case(
        "authorization_code grant",
        "grant_type=authorization_code&code=x",
        400,
        "unsupported_grant_type",
    ),
    token_case(
        "refresh_token grant",
        "grant_type=refresh_token&refresh_token=x",
        400,
        "unsupported_grant_type",
    ),
    token_case(
        "device_code grant",
        "grant_type=urn:ietf:params:oauth:grant-type:device_code",
        400,
        "unsupported_grant_type",
    ),
    token_case(
        "jwt-bearer grant",
        "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer",
        400,
        "unsupported_grant_type",
    ),
    token_case(
        "grant type in upper case",
        "grant_type=CLIENT_CREDENTIALS",
        400,
        "unsupported_grant_type",
    ),
    token_case("repeated grant_type", f"{GRANT}&{GRANT}", 400, "invalid_request"),
    token_case(
        "a NUL in the client_id",
        f"{GRANT}&client_id=abc%00&client_secret=x",
        400,
        "invalid_request",
    ),
    token_case(
        "repeated scope",
        f"{GRANT}&scope=ginr:read&scope=ginr:read",
        400,
        "invalid_request",
    ),
    token_case(
        "scope asked twice in one value",
        f"{GRANT}&scope=ginr:read+ginr:read",
        400,
        "invalid_scope",
    ),
    token_case(
        "oversized scope", f"{GRANT}&scope=" + "ginr:read+" * 100, 400, "invalid_scope"
    ),
    token_case("unknown scope", f"{GRANT}&scope=admin", 400, "invalid_scope"),
    token_case(
        "scope not granted to the client",
        f"{GRANT}&scope=introspection",
        400,
        "invalid_scope",
    ),
    token_case(
        "scope in the wrong case", f"{GRANT}&scope=GINR:READ", 400, "invalid_scope"
    ),
    token_case(
        "Basic and body secret together",
        f"{GRANT}&client_secret={{secret}}",
        400,
        "invalid_request",
    ),
    token_case(
        "Basic and body client_id together",
        f"{GRANT}&client_id={{id}}",
        400,
        "invalid_request",
    ),
    token_case(
        "repeated client_id in the body",
        f"{GRANT}&client_id={{id}}&client_id={{id}}&client_secret={{secret}}",
        400,
        "invalid_request",
        headers={},
    ),
    Case(
        "credentials in the query string",
        "post",
        "/oauth/token?client_id={id}&client_secret={secret}",
        400,
        "invalid_request",
        body=GRANT,
    ),
    Case(
        "any query string",
        "post",
        "/oauth/token?x=1",
        400,
        "invalid_request",
        body=GRANT,
        headers={"Authorization": "{basic}"},
    ),
    Case(
        "bad percent-encoding in the query string",
        "post",
        "/oauth/token?%zz",
        400,
        "invalid_request",
        body=GRANT,
        headers={"Authorization": "{basic}"},
    ),
    token_case(
        "JSON body",
        json.dumps({"grant_type": "client_credentials"}),
        400,
        "invalid_request",
        content_type="application/json",
    ),
    token_case(
        "multipart body",
        "--x\r\nContent-Disposition: form-data; "
        'name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n',
        400,
        "invalid_request",
        content_type="multipart/form-data; boundary=x",
    ),
    token_case(
        "body that is not UTF-8", b"grant_type=\xff\xfe", 400, "invalid_request"
    ),
    token_case(
        "wrong secret with Basic",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": "{basic_wrong}"},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "unknown client_id with Basic",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": basic_auth("nobody", "x" * 128)},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "Basic that is not base64",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": "Basic !!!not-base64!!!"},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "Basic without a colon",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "Basic that is not UTF-8",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "Bearer scheme on the token endpoint",
        GRANT,
        401,
        "invalid_client",
        headers={"Authorization": "Bearer {token}"},
        expect_headers={"WWW-Authenticate": BASIC},
    ),
    token_case(
        "wrong secret in the body",
        f"{GRANT}&client_id={{id}}&client_secret=wrong",
        401,
        "invalid_client",
        headers={},
    ),
    token_case(
        "client_id without a secret",
        f"{GRANT}&client_id={{id}}",
        401,
        "invalid_client",
        headers={},
    ),
    token_case("no client authentication", GRANT, 401, "invalid_client", headers={}),
    token_case(
        "lower-case basic scheme",
        GRANT,
        200,
        None,
        headers={"Authorization": "{basic_lower}"},
        expect_headers={"Cache-Control": "no-store"},
    ),
    Case(
        "GET on the token endpoint",
        "get",
        "/oauth/token",
        405,
        "method_not_allowed",
        expect_headers={"Allow": "POST"},
    ),
    Case("unknown OAuth path", "get", "/oauth/authorize", 404, "not_found"),
    Case(
        "OPTIONS on the server metadata",
        "options",
        "/.well-known/oauth-authorization-server",
        405,
        "method_not_allowed",
        expect_headers={"Allow": "GET, HEAD"},
    ),
    Case(
        "OPTIONS on readiness",
        "options",
        "/health/ready",
        405,
        "method_not_allowed",
        expect_headers={"Allow": "GET, HEAD"},
    ),
    # --- API: RFC 6750 -------------------------------------------------------
    api_case(
        "no Authorization header",
        LIST,
        401,
        token=None,
        expect_headers={"WWW-Authenticate": 'Bearer realm="ginr"'},
    ),
    api_case(
        "unknown token",
        LIST,
        401,
        "invalid_token",
        token="Bearer abcdefghijklmnopqrstuvwxyz0123",
        expect_headers=INVALID_TOKEN_CHALLENGE,
    ),
    api_case("lower-case bearer scheme", LIST, 200, token="bearer {token}"),
    api_case(
        "Basic credentials on the API",
        LIST,
        401,
        token="{basic}",
        expect_headers={"WWW-Authenticate": 'Bearer realm="ginr"'},
    ),
    api_case(
        "empty bearer token",
        LIST,
        400,
        "invalid_request",
        token="Bearer ",
        expect_headers={
            "WWW-Authenticate": 'Bearer realm="ginr", error="invalid_request"'
        },
    ),
    api_case(
        "oversized bearer token",
        LIST,
        400,
        "invalid_request",
        token="Bearer " + "a" * 5000,
    ),
    api_case(
        "NUL byte in the token", LIST, 400, "invalid_request", token="Bearer abc\x00def"
    ),
    api_case(
        "two tokens in one header",
        LIST,
        400,
        "invalid_request",
        token="Bearer {token}, Bearer {token}",
    ),
    api_case(
        "token with a space inside",
        LIST,
        400,
        "invalid_request",
        token="Bearer abc def",
    ),
    api_case("non-ASCII token", LIST, 400, "invalid_request", token="Bearer jeton-é"),
    api_case(
        "token in the query string",
        LIST + "?access_token={token}",
        400,
        "invalid_request",
        token=None,
    ),
    api_case(
        "token in the query string beside the header",
        LIST + "?access_token={token}",
        400,
        "invalid_request",
    ),
    # --- API: bad parameters -------------------------------------------------
    api_case(
        "id beyond 64 bits", f"{DETAIL}/99999999999999999999999", 404, "not_found"
    ),
    api_case("id of 2**63", f"{DETAIL}/9223372036854775808", 404, "not_found"),
    api_case("negative id", f"{DETAIL}/-1", 404, "not_found"),
    api_case("non-ASCII digits as id", f"{DETAIL}/%D9%A1%D9%A2", 404, "not_found"),
    api_case("bad percent-encoding in the path", f"{DETAIL}/%ff%fe", 404, "not_found"),
    api_case("INR with a trailing newline", f"{DETAIL}/20INR0086%0A", 404, "not_found"),
    api_case("page size of zero", LIST + "?pageSize=0", 400, "invalid"),
    api_case("page size beyond the cap", LIST + "?pageSize=501", 400, "invalid"),
    api_case("page size that is not a number", LIST + "?pageSize=abc", 400, "invalid"),
    api_case("page size of 10**30", LIST + "?pageSize=" + "9" * 30, 400, "invalid"),
    api_case("page zero", LIST + "?page=0", 404, "not_found"),
    api_case("page that is not a number", LIST + "?page=abc", 404, "not_found"),
    api_case("page beyond 64 bits", LIST + "?page=" + "9" * 25, 404, "not_found"),
    api_case("unknown status value", LIST + "?status=bogus", 400, "invalid"),
    api_case("empty filter value", LIST + "?modifiedSince=", 400, "invalid"),
    api_case(
        "feed since out of range",
        "/ginr/rest/changes?since=0001-01-01T00:00:00%2B01:00",
        400,
        "invalid",
    ),
    api_case("unknown role value", LIST + "?role=owner", 400, "invalid"),
    api_case("repeated filter", LIST + "?status=active&status=bogus", 400, "invalid"),
    api_case(
        "modifiedSince that is not a time",
        LIST + "?modifiedSince=yesterday",
        400,
        "invalid",
    ),
    api_case(
        "modifiedSince out of range",
        LIST + "?modifiedSince=0001-01-01T00:00:00%2B01:00",
        400,
        "invalid",
    ),
    api_case(
        "modifiedSince with a UTC offset PostgreSQL does not take",
        LIST + "?modifiedSince=4511-01-10T16:48:11.04%2B16:36",
        200,
    ),
    api_case("NUL byte in a filter", LIST + "?county=%00", 400, "invalid"),
    api_case(
        "bad percent-encoding in the API query string",
        LIST + "?%zz",
        400,
        "bad_request",
    ),
    api_case(
        "percent-encoded bytes that are not UTF-8",
        LIST + "?county=%E0%A4",
        400,
        "bad_request",
    ),
    api_case("an overlong UTF-8 encoding", LIST + "?county=%C0%80", 400, "bad_request"),
    api_case("a NUL in the API path", "/ginr/rest/ginrRequest/8%00", 404, "not_found"),
    api_case(
        "a tab between Bearer and the token",
        LIST,
        400,
        "invalid_request",
        token="Bearer\t{token}",
    ),
    api_case("a NUL in an unknown API path", "/ginr/rest/nothing%00", 404, "not_found"),
    Case(
        "HTML only accepted",
        "get",
        LIST,
        406,
        "not_acceptable",
        headers={"Authorization": "Bearer {token}", "Accept": "text/html"},
    ),
    api_case("unknown API path", "/ginr/rest/nothing-here", 404, "not_found"),
    api_case("trailing slash", LIST + "/", 404, "not_found"),
    Case(
        "DELETE on the API",
        "delete",
        LIST,
        405,
        "method_not_allowed",
        headers={"Authorization": "Bearer {token}"},
        expect_headers={"Allow": "GET, HEAD"},
    ),
    Case(
        "OPTIONS on the API",
        "options",
        LIST,
        405,
        "method_not_allowed",
        headers={"Authorization": "Bearer {token}"},
        expect_headers={"Allow": "GET, HEAD"},
    ),
]


@pytest.fixture
def credentials(issue_client, token_for):
    client, secret = issue_client()
    return {
        "id": client.client_id,
        "secret": secret,
        "basic": basic_auth(client.client_id, secret),
        "basic_wrong": basic_auth(client.client_id, "x" * 128),
        "basic_lower": basic_auth(client.client_id, secret).replace("Basic", "basic"),
        "token": token_for(),
    }


def fill(text, values):
    if isinstance(text, bytes):
        return text
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def test_the_catalogue_has_at_least_forty_cases():
    assert len(CATALOGUE) >= 40
    assert len({case.name for case in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize("case", CATALOGUE, ids=str)
def test_hostile_request_gets_the_exact_standard_answer(credentials, case):
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": fill(value, credentials)
        for name, value in case.headers.items()
    }
    request = getattr(Client(), case.method)
    path = fill(case.path, credentials)
    if case.method in ("post", "put", "patch", "delete") and case.body is not None:
        response = request(
            path,
            fill(case.body, credentials),
            content_type=case.content_type,
            **headers,
        )
    else:
        response = request(path, **headers)

    assert response.status_code == case.status, response.content
    content_type = response["Content-Type"]
    assert "html" not in content_type
    if case.status != 200:
        body = response.json()
        if case.path.startswith("/oauth/token") and case.status in (400, 401):
            assert content_type == "application/json"
            assert body["error"] == case.code
            assert response["Cache-Control"] == "no-store"
        else:
            assert content_type == "application/problem+json"
            assert body["status"] == case.status
            assert body.get("code") == case.code
    for name, value in case.expect_headers.items():
        assert response[name].startswith(value), (name, response[name])
