"""Staff and auditors in a real browser: Debian's headless Chromium, driven
by Playwright, against a live server.

These tests flush the database after each test (the live server needs
committed data), so conftest runs them last.
"""

import csv
import io
import os
import shutil

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from ginr.models import Tdsp
from ginr.services import tdsps_import
from oauth_clients.groups import AUDITORS, auditors_group_ensure
from oauth_clients.models import M2MClient
from oauth_clients.services import client_create
from tests.conftest import csv_rows, request_token

CHROMIUM = "/usr/bin/chromium"
# Set to a folder to keep screenshots of the key pages, to look at them.
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS")
PASSWORD = "Brow5er-Test-Pass"  # noqa: S105 - a throwaway test account

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def live(live_server):
    # A flushed database has neither the TSP list nor the migrated group.
    if not Tdsp.objects.exists():
        tdsps_import(rows=csv_rows("tsps.csv"))
    auditors_group_ensure(apps)
    return live_server.url


def sign_in(browser, live, username, *, superuser=False, auditor=False):
    User = get_user_model()
    if superuser:
        User.objects.create_superuser(username, password=PASSWORD)
    else:
        user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
        if auditor:
            user.groups.add(Group.objects.get(name=AUDITORS))
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(f"{live}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    follow(page, "input[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    return page


def follow(page, selector):
    """Click a link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def screenshot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)  # noqa: PTH118


def test_staff_create_a_client_and_see_the_secret_once(browser, live):
    page = sign_in(browser, live, "staff", superuser=True)

    page.goto(f"{live}/admin/oauth_clients/m2mclient/")
    follow(page, "#content a.addlink")
    page.select_option("#id_tdsp", label=str(Tdsp.objects.get(code="ONCOR")))
    page.fill("#id_name", "Oncor outage planning")
    page.fill("#id_contact_email", "ot-team@example.com")
    follow(page, "input[type=submit]")

    secret = page.text_content("#client-secret")
    client_id = page.text_content("#client-id")
    screenshot(page, "secret-once.png")
    assert len(secret) == 128
    assert request_token(client_id, secret).status_code == 200

    page.reload()

    assert page.locator("#client-secret").count() == 0
    assert page.locator("#secret-gone").is_visible()
    assert secret not in page.content()
    page.goto(f"{live}/admin/oauth_clients/m2mclient/")
    assert secret not in page.content()
    assert f"…{secret[-4:]}" in page.content()


def test_staff_rotate_the_secret_and_revoke_tokens(browser, live):
    issued = client_create(tdsp_code="CNP", name="CNP planning")
    client = issued.client
    token = request_token(client.client_id, issued.secret).json()["access_token"]
    page = sign_in(browser, live, "staff", superuser=True)
    page.goto(f"{live}/admin/oauth_clients/m2mclient/{client.pk}/change/")

    follow(page, "#rotate-secret")
    page.fill("#id_overlap_days", "3")
    follow(page, "input[type=submit]")
    new_secret = page.text_content("#client-secret")
    follow(page, "text=Go to the client")

    assert "still valid until" in page.content()
    assert request_token(client.client_id, issued.secret).status_code == 200
    assert request_token(client.client_id, new_secret).status_code == 200

    follow(page, "#revoke-tokens")
    follow(page, "#confirm-revoke")

    assert "live token(s) revoked" in page.text_content("ul.messagelist")
    api = page.request.get(
        f"{live}/ginr/rest/types/tdsp", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status == 401

    follow(page, "#disable-client")
    follow(page, "#confirm-disable")

    assert M2MClient.objects.get(pk=client.pk).active is False
    assert page.locator("#enable-client").is_visible()


def test_an_auditor_types_a_client_id_to_see_its_access_records(browser, live):
    aep = client_create(tdsp_code="AEP_TEXAS", name="AEP sync")
    oncor = client_create(tdsp_code="ONCOR", name="Oncor sync")
    for issued in (aep, oncor):
        token = request_token(issued.client.client_id, issued.secret).json()
        page_of_api = f"{live}/ginr/rest/types/tdsp"
        browser.new_page().request.get(
            page_of_api, headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    page = sign_in(browser, live, "audrey", auditor=True)
    page.goto(f"{live}/admin/oauth_clients/accessrecord/?status=200")

    page.fill("#filter-client", aep.client.client_id)
    with page.expect_navigation():
        page.press("#filter-client", "Enter")
    screenshot(page, "auditor-access-records-by-client.png")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "AEP sync" in rows.first.text_content()
    assert "status=200" in page.url
    assert page.input_value("#filter-client") == aep.client.client_id


def test_an_auditor_filters_the_token_log_exports_csv_and_can_change_nothing(
    browser, live
):
    aep = client_create(tdsp_code="AEP_TEXAS", name="AEP sync")
    oncor = client_create(tdsp_code="ONCOR", name="Oncor sync")
    request_token(aep.client.client_id, aep.secret)
    request_token(aep.client.client_id, "not-the-secret-" * 3)
    request_token(oncor.client.client_id, oncor.secret)
    request_token("unknown-client", "whatever-it-is-" * 3)
    page = sign_in(browser, live, "audrey", auditor=True)

    follow(page, "#content-main >> text=Token events")
    follow(page, "#changelist-filter >> text=refused")
    screenshot(page, "auditor-token-log.png")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    with page.expect_download() as download:
        page.click("#export-csv")
    exported = list(
        csv.DictReader(io.StringIO(open(download.value.path()).read()))  # noqa: PTH123
    )

    assert {row["outcome"] for row in exported} == {"refused"}
    assert {row["presented_client_id"] for row in exported} == {
        aep.client.client_id,
        "unknown-client",
    }
    for secret in (aep.secret, oncor.secret):
        assert secret not in page.content()

    pages = [
        "/admin/",
        "/admin/oauth_clients/m2mclient/",
        f"/admin/oauth_clients/m2mclient/{aep.client.pk}/change/",
        "/admin/oauth_clients/tokenevent/",
        "/admin/oauth_clients/credentialevent/",
        "/admin/oauth_clients/accessrecord/",
    ]
    for path in pages:
        page.goto(f"{live}{path}")
        html = page.content()
        assert page.locator("a.addlink, a.deletelink, a.changelink").count() == 0, path
        assert page.locator("input[type=submit][name^=_save]").count() == 0, path
        assert page.locator("select[name=action]").count() == 0, path
        assert "Rotate secret" not in html, path
        assert aep.secret not in html, path
