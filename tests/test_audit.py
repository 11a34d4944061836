"""Token events, access records, the purge, and the auditors' admin."""

import csv
import io
import sys
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.views.debug import ExceptionReporter
from oauth2_provider.models import AccessToken

from ginr.models import Tdsp
from oauth_clients.admin import AuditPaginator
from oauth_clients.models import AccessRecord, CredentialEvent, TokenEvent
from tests import leak_guard
from tests.conftest import basic_auth, post_form, request_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(db):
    user = get_user_model().objects.create_user("audrey", is_staff=True)
    user.groups.add(Group.objects.get(name="Auditors"))
    browser = Client()
    browser.force_login(user)
    return browser


# --- token events -----------------------------------------------------------


def test_an_issued_token_is_recorded_with_a_fingerprint_not_the_token(
    issue_client,
):
    client, secret = issue_client()

    token = post_form(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
        HTTP_USER_AGENT="aep-sync/1.0",
        REMOTE_ADDR="192.0.2.10",
    ).json()["access_token"]

    event = TokenEvent.objects.get()
    stored = AccessToken.objects.get(application=client)
    assert event.outcome == "issued"
    assert event.presented_client_id == client.client_id
    assert (event.client, event.tdsp) == (client, client.tdsp)
    assert (event.source_address, event.user_agent) == ("192.0.2.10", "aep-sync/1.0")
    assert event.scopes == "ginr:read"
    assert event.error == ""
    assert event.token_fingerprint == stored.token_checksum[:12]
    assert token not in event.token_fingerprint


@pytest.mark.parametrize(
    ("credentials", "data", "error", "resolved"),
    [
        ("wrong-secret", {}, "invalid_client", True),
        ("unknown-client", {}, "invalid_client", False),
        ("right", {"scope": "admin"}, "invalid_scope", True),
        ("right", {"grant_type": "password"}, "unsupported_grant_type", True),
    ],
)
def test_every_refused_token_request_is_recorded(
    issue_client, credentials, data, error, resolved
):
    client, secret = issue_client()
    client_id = (
        "no-such-client" if credentials == "unknown-client" else client.client_id
    )
    presented = secret if credentials == "right" else "x" * 40

    response = request_token(client_id, presented, **data)

    assert response.status_code in (400, 401)
    event = TokenEvent.objects.get()
    assert event.outcome == "refused"
    assert event.error == error
    assert event.presented_client_id == client_id
    assert event.client == (client if resolved else None)
    assert event.token_fingerprint == ""


def test_a_token_request_without_credentials_is_recorded_too(db):
    post_form("/oauth/token", {"grant_type": "client_credentials"})

    event = TokenEvent.objects.get()
    assert (event.outcome, event.error, event.presented_client_id) == (
        "refused",
        "invalid_client",
        "",
    )


# --- access records -----------------------------------------------------------


def test_api_requests_are_recorded_with_the_number_of_ginrs(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    listed = Client().get("/ginr/rest/dashboard/tdspList?pageSize=5", **bearer)
    Client().get(
        f"/ginr/rest/ginrRequest/{listed.json()['results'][0]['inr']}", **bearer
    )
    Client().get("/ginr/rest/types/tdsp", **bearer)

    records = list(AccessRecord.objects.order_by("id"))
    assert [(r.path, r.status, r.ginr_count) for r in records] == [
        ("/ginr/rest/dashboard/tdspList?pageSize=5", 200, 5),
        (f"/ginr/rest/ginrRequest/{listed.json()['results'][0]['inr']}", 200, 1),
        ("/ginr/rest/types/tdsp", 200, None),
    ]
    assert {(r.client, r.tdsp, r.method) for r in records} == {
        (client, client.tdsp, "GET")
    }
    assert all(r.duration_ms >= 0 for r in records)


def test_refused_api_requests_are_recorded_without_a_client(db):
    Client().get("/ginr/rest/types/tdsp?access_token=abcdefghijklmnopqrstuvwxyz")

    record = AccessRecord.objects.get()
    assert (record.client, record.tdsp, record.status) == (None, None, 400)
    assert record.path == "/ginr/rest/types/tdsp?access_token=%5Bremoved%5D"


def test_with_access_records_off_api_reads_leave_none_and_the_check_warns(
    issue_client, settings
):
    settings.AUDIT_ACCESS_RECORDS = False
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]

    response = Client().get(
        "/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 200
    assert not AccessRecord.objects.exists()
    # The token endpoint's own audit trail does not depend on the switch.
    assert TokenEvent.objects.filter(client=client, status=200).count() == 1
    warnings = [message.id for message in run_checks(tags=["security"])]
    assert "oauth_clients.W001" in warnings


def test_access_records_are_on_by_default_and_the_check_is_silent():
    warnings = [message.id for message in run_checks(tags=["security"])]

    assert "oauth_clients.W001" not in warnings


# --- purge ----------------------------------------------------------------------


def test_purge_deletes_old_rows_and_records_its_own_run(issue_client, capsys):
    client, secret = issue_client()
    request_token(client.client_id, secret)
    request_token(client.client_id, "x" * 40)
    long_ago = timezone.now() - timedelta(days=40)
    TokenEvent.objects.filter(outcome="refused").update(time=long_ago)
    CredentialEvent.objects.update(time=long_ago)

    call_command("purge_audit_logs", "--older-than", "30")

    assert list(TokenEvent.objects.values_list("outcome", flat=True)) == ["issued"]
    purge = CredentialEvent.objects.get()
    assert purge.action == "audit_purged"
    assert purge.detail["token_events"] == 1
    assert purge.detail["credential_events"] == 1
    assert "token_events 1" in capsys.readouterr().out


def test_purge_keeps_the_record_of_earlier_purges(db):
    call_command("purge_audit_logs", "--older-than", "30")
    CredentialEvent.objects.update(time=timezone.now() - timedelta(days=400))

    call_command("purge_audit_logs", "--older-than", "30")

    assert CredentialEvent.objects.filter(action="audit_purged").count() == 2


# --- the auditors' admin -------------------------------------------------------


def test_the_auditors_group_may_only_view_clients_and_the_logs():
    codenames = set(
        Group.objects.get(name="Auditors").permissions.values_list(
            "codename", flat=True
        )
    )

    assert codenames == {
        "view_m2mclient",
        "view_tokenevent",
        "view_credentialevent",
        "view_accessrecord",
    }


@pytest.mark.parametrize("model", ["tokenevent", "credentialevent", "accessrecord"])
def test_nobody_can_add_change_or_delete_audit_rows_in_admin(
    issue_client, admin_client, model
):
    client, secret = issue_client()
    request_token(client.client_id, secret)
    Client().get("/ginr/rest/types/tdsp")
    row = {
        "tokenevent": TokenEvent,
        "credentialevent": CredentialEvent,
        "accessrecord": AccessRecord,
    }[model].objects.first()
    base = f"/admin/oauth_clients/{model}/"

    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{row.pk}/change/", {}).status_code == 403
    assert (
        admin_client.post(f"{base}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert type(row).objects.filter(pk=row.pk).exists()


def test_an_auditor_filters_the_token_log_and_exports_it_as_csv(issue_client, auditor):
    aep, aep_secret = issue_client("AEP_TEXAS", name="AEP sync")
    oncor, oncor_secret = issue_client("ONCOR", name="Oncor sync")
    request_token(aep.client_id, aep_secret)
    request_token(aep.client_id, "=cmd|' /C calc'!A0")
    request_token(oncor.client_id, oncor_secret)
    today = timezone.now().date().isoformat()
    query = (
        f"?outcome__exact=refused&tdsp__id__exact={aep.tdsp_id}"
        f"&time__range__gte={today}&time__range__lte={today}"
    )

    page = auditor.get(f"/admin/oauth_clients/tokenevent/{query}")
    export = auditor.get(f"/admin/oauth_clients/tokenevent/export.csv{query}")

    assert page.status_code == 200
    assert b"1 token event" in page.content
    rows = list(
        csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    )
    assert len(rows) == 1
    assert rows[0]["client__client_id"] == aep.client_id
    assert rows[0]["outcome"] == "refused"
    assert rows[0]["error"] == "invalid_client"
    assert export["Content-Type"] == "text/csv"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/oauth_clients/accessrecord/",
        "/admin/oauth_clients/tokenevent/",
        "/admin/oauth_clients/credentialevent/",
    ],
)
def test_the_audit_lists_offer_filters_without_scanning_the_audit_table(
    issue_client, auditor, path
):
    # Filter choices come from fixed lists and the TSP table: a SELECT
    # DISTINCT over millions of audit rows on every page would take seconds.
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]
    Client().get("/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=f"Bearer {token}")

    with CaptureQueriesContext(connection) as captured:
        page = auditor.get(path)

    assert page.status_code == 200
    assert not [query for query in captured if "DISTINCT" in query["sql"]]
    # Every TSP is offered, not only those that have rows.
    assert page.content.count(b"tdsp__id__exact=") == Tdsp.objects.count()


def test_an_auditor_filters_access_records_by_status(issue_client, auditor):
    client, secret = issue_client()
    bearer = f"Bearer {request_token(client.client_id, secret).json()['access_token']}"
    Client().get("/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=bearer)
    Client().get("/ginr/rest/ginrRequest/99999999", HTTP_AUTHORIZATION=bearer)
    base = "/admin/oauth_clients/accessrecord/"

    not_found = auditor.get(f"{base}?status=404")
    export = auditor.get(f"{base}export.csv?status=404")
    unknown = auditor.get(f"{base}?status=999")

    assert not_found.status_code == 200
    assert b"404 Not Found" in not_found.content
    assert b"1 access record" in not_found.content
    rows = list(
        csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    )
    assert [row["status"] for row in rows] == ["404"]
    # Django's answer to a filter value it does not know: the unfiltered list.
    assert unknown.status_code == 302
    assert unknown["Location"].endswith("?e=1")


def test_an_auditor_finds_a_clients_records_by_client_id_or_name(issue_client, auditor):
    aep, aep_secret = issue_client("AEP_TEXAS", name="AEP sync")
    oncor, oncor_secret = issue_client("ONCOR", name="Oncor sync")
    for client, secret in ((aep, aep_secret), (oncor, oncor_secret)):
        token = request_token(client.client_id, secret).json()["access_token"]
        Client().get("/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=f"Bearer {token}")
    base = "/admin/oauth_clients/accessrecord/"

    by_id = auditor.get(f"{base}?client={aep.client_id}&status=200")
    by_name = auditor.get(f"{base}export.csv?client=aep")
    nobody = auditor.get(f"{base}?client=nobody")
    # PostgreSQL cannot even compare text with a NUL in it.
    nul = auditor.get(f"{base}?client=a%00b")

    assert b"1 access record" in by_id.content
    assert oncor.client_id.encode() not in by_id.content
    # The typed text and the other filters survive the next search.
    assert f'value="{aep.client_id}"'.encode() in by_id.content
    assert b'name="status" value="200"' in by_id.content
    rows = list(
        csv.DictReader(io.StringIO(b"".join(by_name.streaming_content).decode()))
    )
    assert [row["client__client_id"] for row in rows] == [aep.client_id]
    assert b"0 access records" in nobody.content
    assert nul.status_code == 200
    assert b"0 access records" in nul.content


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the estimate is PostgreSQL's"
)
def test_a_large_unfiltered_log_shows_the_planners_estimate_and_a_filter_counts(
    issue_client, auditor, monkeypatch
):
    client, secret = issue_client()
    bearer = f"Bearer {request_token(client.client_id, secret).json()['access_token']}"
    for _ in range(3):
        Client().get("/ginr/rest/types/tdsp", HTTP_AUTHORIZATION=bearer)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE oauth_clients_accessrecord")
    # Every table counts as large here; in production, above 100,000 rows.
    monkeypatch.setattr(AuditPaginator, "ESTIMATE_ABOVE", -1)
    base = "/admin/oauth_clients/accessrecord/"

    with CaptureQueriesContext(connection) as captured:
        unfiltered = auditor.get(base)
    filtered = auditor.get(f"{base}?status=200")

    assert b'id="estimated-count"' in unfiltered.content
    assert not [query for query in captured if "COUNT(" in query["sql"]]
    assert b'id="estimated-count"' not in filtered.content
    assert b"3 access records" in filtered.content


def test_a_caller_controlled_value_cannot_become_a_spreadsheet_formula(
    issue_client, auditor
):
    client, secret = issue_client()
    post_form(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic_auth(client.client_id, secret),
        HTTP_USER_AGENT='=HYPERLINK("http://example.com")',
    )

    export = auditor.get("/admin/oauth_clients/tokenevent/export.csv")

    rows = list(
        csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    )
    assert rows[0]["user_agent"].startswith("'=")


def test_an_auditor_sees_clients_but_cannot_change_or_operate_them(
    issue_client, auditor
):
    client, _secret = issue_client()

    listing = auditor.get("/admin/oauth_clients/m2mclient/")
    detail = auditor.get(f"/admin/oauth_clients/m2mclient/{client.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert b"Rotate secret" not in detail.content
    assert b'name="_save"' not in detail.content
    for path in ["add/", f"{client.pk}/rotate/", f"{client.pk}/disable/"]:
        assert auditor.get(f"/admin/oauth_clients/m2mclient/{path}").status_code == 403
    assert auditor.get("/admin/oauth2_provider/accesstoken/").status_code == 403


# --- error reports ----------------------------------------------------------------


def error_report(request):
    # Raised here, in a frame that holds no credential in its variables.
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_html(), reporter.get_traceback_text()


def test_error_reports_hide_authorization_headers_and_posted_secrets(issue_client):
    client, secret = issue_client()
    token = request_token(client.client_id, secret).json()["access_token"]
    request = RequestFactory().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_secret": secret},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    request.sensitive_post_parameters = ["client_secret"]

    html, text = error_report(request)

    leak_guard.guard.keep("error report", html + text)
    for report in (html, text):
        assert "HTTP_AUTHORIZATION" in report
        assert token not in report
        assert secret not in report
