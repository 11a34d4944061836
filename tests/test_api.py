import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import AccessToken

from ginr.models import Assignment, Ginr, Tdsp
from oauth_clients.models import M2MClient

pytestmark = pytest.mark.django_db

LIST = "/ginr/rest/dashboard/tdspList"
TYPES = "/ginr/rest/types/tdsp"
ENDPOINTS = [
    LIST,
    TYPES,
    "/ginr/rest/ginrRequest/1",
    "/ginr/rest/ginrRequest/1/history",
    "/ginr/rest/changes",
]


def inrs_of(tdsp_code):
    return set(
        Assignment.objects.filter(tdsp__code=tdsp_code).values_list(
            "ginr__inr", flat=True
        )
    )


def all_pages(api, path, token):
    results, url = [], path
    while url:
        body = api(url, token=token).json()
        results += body["results"]
        url = body["next"]
    return results


def stored_token(token):
    checksum = hashlib.sha256(token.encode()).hexdigest()
    return AccessToken.objects.get(token_checksum=checksum)


# --- Authentication and authorisation, on every endpoint ----------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_no_token_is_401_with_a_bare_bearer_challenge(path):
    response = Client().get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="ginr"'
    assert response["Content-Type"] == "application/problem+json"
    assert "code" not in response.json()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_unknown_token_is_401_invalid_token(path):
    response = Client().get(path, HTTP_AUTHORIZATION="Bearer not-a-real-token")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["code"] == "invalid_token"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_expired_token_is_401_invalid_token(token_for, path):
    token = token_for()
    AccessToken.objects.filter(pk=stored_token(token).pk).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )

    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_revoked_token_is_401_invalid_token(token_for, path):
    token = token_for()
    stored_token(token).revoke()

    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_of_a_disabled_client_is_401(token_for, path):
    token = token_for()
    M2MClient.objects.filter(pk=stored_token(token).application_id).update(active=False)

    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_without_the_read_scope_is_403_insufficient_scope(token_for, path):
    token = token_for()
    AccessToken.objects.filter(pk=stored_token(token).pk).update(scope="other")

    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer realm="ginr", error="insufficient_scope", scope="ginr:read"'
    )
    assert response.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_in_the_query_string_is_refused_as_invalid_request(token_for, path):
    token = token_for()

    response = Client().get(path, {"access_token": token})

    assert response.status_code == 400
    assert response["WWW-Authenticate"].startswith(
        'Bearer realm="ginr", error="invalid_request"'
    )
    assert response.json()["code"] == "invalid_request"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_api_responses_are_never_cached(api, path):
    assert api(path)["Cache-Control"] == "no-store"
    assert Client().get(path)["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_only_get_and_head_are_allowed(token_for, path, method):
    token = token_for()

    response = getattr(Client(), method)(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == "application/problem+json"


def test_head_answers_like_get_without_a_body(api, token_for):
    token = token_for()

    response = Client().head(LIST, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert response.content == b""


# --- tdspList --------------------------------------------------------------


def test_tdsp_list_holds_exactly_the_tsps_ginrs_with_its_role(api, token_for):
    token = token_for("AEP_TEXAS")

    results = all_pages(api, LIST, token)

    assert {item["inr"] for item in results} == inrs_of("AEP_TEXAS")
    assert len(results) == len(inrs_of("AEP_TEXAS"))
    roles = dict(
        Assignment.objects.filter(tdsp__code="AEP_TEXAS").values_list(
            "ginr__inr", "role"
        )
    )
    assert all(item["role"] == roles[item["inr"]] for item in results)


def test_tdsp_list_is_paginated_in_a_stable_order(api, token_for):
    token = token_for("ONCOR")

    first = api(LIST, token=token).json()
    small_pages = all_pages(api, f"{LIST}?pageSize=7", token)

    assert first["count"] == len(inrs_of("ONCOR")) > 100
    assert len(first["results"]) == 100
    assert [item["inr"] for item in small_pages] == sorted(inrs_of("ONCOR"))


def test_tdsp_list_page_size_beyond_500_is_refused(api, token_for):
    everything = Ginr.objects.all()
    tdsp = Tdsp.objects.get(code="CNP")
    Assignment.objects.bulk_create(
        Assignment(ginr=ginr, tdsp=tdsp, role="other", source="test")
        for ginr in everything.exclude(assignments__tdsp=tdsp)[:600]
    )

    token = token_for("CNP")
    largest = api(f"{LIST}?pageSize=500", token=token).json()
    too_large = api(f"{LIST}?pageSize=501", token=token)

    assert largest["count"] > 500
    assert len(largest["results"]) == 500
    assert too_large.status_code == 400
    assert (
        too_large.json()["detail"] == "pageSize: must be a whole number from 1 to 500"
    )


def test_tdsp_list_sql_queries_do_not_grow_with_the_page_size(token_for):
    token = token_for("ONCOR")

    def queries(page_size):
        with CaptureQueriesContext(connection) as captured:
            response = Client().get(
                f"{LIST}?pageSize={page_size}", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
        assert response.status_code == 200
        return len(captured)

    assert queries(1) == queries(150)


@pytest.mark.parametrize(
    ("parameter", "value", "field"),
    [
        ("status", "active", "status"),
        ("size", "large", "size"),
        ("role", "other", "role"),
        ("studyPhase", "SS Completed, FIS Completed, IA", "studyPhase"),
        ("screeningStudy", "completed", "screeningStudy"),
        ("fullStudy", "started", "fullStudy"),
        ("agreement", "signed", "agreement"),
        ("fuel", "SOL", "fuel"),
        ("technology", "BA", "technology"),
        ("county", "Harris", "county"),
        ("cdrZone", "HOUSTON", "cdrZone"),
    ],
)
def test_each_filter_narrows_the_tsps_own_list(api, token_for, parameter, value, field):
    token = token_for("CNP")
    own = inrs_of("CNP")

    results = all_pages(api, f"{LIST}?{parameter}={value}&pageSize=500", token)

    assert results, f"CNP has GINRs with {parameter}={value}"
    assert {item["inr"] for item in results} <= own
    assert all(str(item[field]).casefold() == value.casefold() for item in results)


def test_inr_and_modified_since_filters(api, token_for):
    token = token_for("CNP")
    inr = sorted(inrs_of("CNP"))[0]
    Ginr.objects.filter(inr=inr).update(
        modified_at=timezone.now() + dt.timedelta(days=1)
    )
    tomorrow = (timezone.now() + dt.timedelta(hours=12)).isoformat()

    by_inr = api(f"{LIST}?inr={inr.lower()}", token=token).json()
    recent = api(f"{LIST}", token=token, data={"modifiedSince": tomorrow}).json()

    assert [item["inr"] for item in by_inr["results"]] == [inr]
    assert [item["inr"] for item in recent["results"]] == [inr]


@pytest.mark.parametrize("parameter", ["status", "role", "size", "agreement"])
def test_an_unknown_filter_value_is_400(api, parameter):
    response = api(f"{LIST}?{parameter}=bogus")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


# --- Tenant isolation --------------------------------------------------------


def test_another_tsps_ginrs_are_never_listed_counted_or_matched(api, token_for):
    token = token_for("TNMP")
    foreign = inrs_of("ONCOR") - inrs_of("TNMP")
    some_foreign = sorted(foreign)[0]

    listed = all_pages(api, LIST, token)
    by_inr = api(f"{LIST}?inr={some_foreign}", token=token).json()

    assert not {item["inr"] for item in listed} & foreign
    assert by_inr["count"] == 0
    assert by_inr["results"] == []


def test_another_tsps_ginr_is_404_exactly_like_a_missing_one(api, token_for):
    token = token_for("TNMP")
    foreign = Ginr.objects.get(inr=sorted(inrs_of("ONCOR") - inrs_of("TNMP"))[0])
    missing_id = Ginr.objects.order_by("-pk").first().pk + 1000

    by_id = api(f"/ginr/rest/ginrRequest/{foreign.pk}", token=token)
    by_inr = api(f"/ginr/rest/ginrRequest/{foreign.inr}", token=token)
    missing = api(f"/ginr/rest/ginrRequest/{missing_id}", token=token)
    missing_inr = api("/ginr/rest/ginrRequest/99INR9999", token=token)

    for response in (by_id, by_inr, missing, missing_inr):
        assert response.status_code == 404
        assert response.content == missing.content


def test_unassigned_ginrs_are_visible_to_no_client(api, token_for):
    unassigned = Ginr.objects.filter(assignments=None).first()

    for code in ("AEP_TEXAS", "ONCOR", "CNP"):
        response = api(f"/ginr/rest/ginrRequest/{unassigned.pk}", code)
        assert response.status_code == 404


# --- ginrRequest/{id} ------------------------------------------------------


def test_a_ginr_is_served_in_full_by_id_and_by_inr(api, token_for):
    token = token_for("AEP_TEXAS")
    inr = sorted(inrs_of("AEP_TEXAS"))[0]
    ginr = Ginr.objects.get(inr=inr)

    by_id = api(f"/ginr/rest/ginrRequest/{ginr.pk}", token=token)
    by_inr = api(f"/ginr/rest/ginrRequest/{inr.lower()}", token=token)

    assert by_id.status_code == 200
    assert by_id.json() == by_inr.json()
    body = by_id.json()
    assert body["id"] == ginr.pk
    assert body["inr"] == inr
    assert {a["tdspCode"] for a in body["assignments"]} == set(
        ginr.assignments.values_list("tdsp__code", flat=True)
    )
    assert set(body["milestones"]) >= {"iaSigned", "fisApproved", "modelReady"}
    assert set(body["permits"]) == {"air", "ghg", "water"}


def test_the_detail_shows_dates_milestones_and_permits_as_reported(api):
    ginr = Ginr.objects.get(inr="15INR0064b")
    Assignment.objects.create(
        ginr=ginr,
        tdsp=Tdsp.objects.get(code="LST"),
        role="primary",
        source="test",
    )
    Ginr.objects.filter(pk=ginr.pk).update(
        fis_approved=None, unknown_date_fields=["fis_approved"]
    )

    body = api("/ginr/rest/ginrRequest/15INR0064b", "LST").json()

    assert body["capacityMw"] == 162.1
    assert body["projectedCod"] == "2026-02-28"
    assert body["milestones"]["iaSigned"] == {"reached": True, "date": "2018-05-30"}
    assert body["milestones"]["fisApproved"] == {"reached": True, "date": None}
    assert body["milestones"]["constructionStart"] == {"reached": False, "date": None}
    assert body["permits"]["air"] == {
        "status": "not_required",
        "date": None,
        "dateUnknown": False,
    }
    assert body["economicStudyRequired"] is False
    assert body["financialSecurityProvided"] is True
    assert body["assignments"] == [
        {
            "tdspCode": "LST",
            "tdspName": "Lone Star Transmission, LLC",
            "role": "primary",
            "source": "test",
        }
    ]


@pytest.mark.parametrize(
    "reference",
    ["0", "-1", "9223372036854775808", "99999999999999999999999", "abc", "23INR", "١٢"],
)
def test_an_impossible_reference_is_404(api, reference):
    response = api(f"/ginr/rest/ginrRequest/{reference}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- types/tdsp ------------------------------------------------------------


def test_types_tdsp_lists_every_tsp_with_legacy_successors(api):
    body = api(TYPES).json()

    by_code = {tsp["code"]: tsp for tsp in body}
    assert len(body) == 32
    assert by_code["AEP_TCC"]["successorCode"] == "AEP_TEXAS"
    assert by_code["AEP_TCC"]["active"] is False
    assert by_code["ONCOR"] == {
        "code": "ONCOR",
        "name": "Oncor Electric Delivery Company LLC",
        "kind": "investor-owned TDU",
        "active": True,
        "successorCode": None,
    }


def test_an_authenticated_ginr_read_makes_two_sql_reads(token_for):
    # One to check the token (with its client), one for the GINR with all its
    # assignments and their TSPs, which also feed the ETag: the hottest read
    # must not grow a query. The access record is the one write.
    token = token_for("AEP_TEXAS")
    ginr = Ginr.objects.get(inr=sorted(inrs_of("AEP_TEXAS"))[0])
    Assignment.objects.create(
        ginr=ginr,
        tdsp=Tdsp.objects.exclude(assignments__ginr=ginr).filter(active=True).first(),
        role="other",
        source="test",
    )

    with CaptureQueriesContext(connection) as captured:
        response = Client().get(
            f"/ginr/rest/ginrRequest/{ginr.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    assert response.status_code == 200
    assert len(response.json()["assignments"]) >= 2
    assert response["ETag"]
    statements = [query["sql"].split()[0].upper() for query in captured]
    assert statements.count("SELECT") == 2
    assert statements == ["SELECT", "SELECT", "INSERT"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_restricted_to_another_resource_is_401(token_for, path):
    # RFC 8707: a token issued for another resource server is not for this one.
    token = token_for()
    AccessToken.objects.filter(pk=stored_token(token).pk).update(
        resource=["https://elsewhere.example/api"]
    )

    response = Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_tdsp_list_counts_its_rows_once(token_for):
    # The validators count the caller's rows for the ETag; the paginator is
    # given that count instead of running the same COUNT again.
    token = token_for("ONCOR")

    with CaptureQueriesContext(connection) as captured:
        response = Client().get(
            f"{LIST}?pageSize=5&page=2", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == len(inrs_of("ONCOR"))
    assert len(body["results"]) == 5
    assert body["next"] is not None
    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"]]
    assert len(counts) == 1
