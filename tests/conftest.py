"""Shared fixtures: the real bundled ERCOT data, machine clients and tokens.

The TSP list, the January 2026 GIS report and the TSP mapping are loaded once
into the test database; every test runs in a transaction on top of them.
"""

import base64
import csv
import hashlib
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from ginr.importers.gis_report import read_gis_report
from ginr.services import assignments_import, gis_report_apply, tdsps_import
from ginr_m2m import ratelimit
from oauth_clients.services import client_create
from tests import leak_guard

DATA = Path(__file__).resolve().parent.parent / "data" / "ercot"
REPORTS = sorted(DATA.glob("GIS_Report_*.xlsx"))
LATEST_REPORT = DATA / "GIS_Report_2026-01.xlsx"


@lru_cache
def parsed_report(path):
    """A bundled workbook, parsed once per test run (parsing is DB-free)."""
    return read_gis_report(path)


def csv_rows(name):
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_bundled_data():
    tdsps_import(rows=csv_rows("tsps.csv"))
    gis_report_apply(
        report=parsed_report(LATEST_REPORT),
        file_name=LATEST_REPORT.name,
        sha256=hashlib.sha256(LATEST_REPORT.read_bytes()).hexdigest(),
    )
    assignments_import(rows=csv_rows("inr_primary_tsp.csv"))


def pytest_collection_modifyitems(items):
    # Browser tests use a live server and so flush the database after each
    # test; running them last keeps the bundled data for every other test.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def no_secret_or_token_leaks():
    """Fail the run if any secret or token was logged or rendered anywhere."""
    watching = override_settings(
        MIDDLEWARE=["tests.leak_guard.KeepResponses", *settings.MIDDLEWARE]
    )
    watching.enable()
    leak_guard.install()

    yield leak_guard.guard

    watching.disable()
    leaks = leak_guard.guard.leaks()
    assert not leaks, f"Secrets or tokens (by last 4 characters) leaked: {leaks}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_bundled_data()


@pytest.fixture
def issue_client(db):
    """Register a machine client for a TSP; returns (client, secret)."""

    def issue(tdsp_code="AEP_TEXAS", name="test client", scopes=None):
        issued = client_create(tdsp_code=tdsp_code, name=name, scopes=scopes)
        return issued.client, issued.secret

    return issue


def basic_auth(client_id, secret):
    pair = f"{client_id}:{secret}".encode()
    return f"Basic {base64.b64encode(pair).decode()}"


def post_form(path, data, **headers):
    """POST as an OAuth client does: a form-encoded body and no CSRF token."""
    return Client(enforce_csrf_checks=True).post(
        path,
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
        **headers,
    )


def request_token(client_id, secret, **data):
    return post_form(
        "/oauth/token",
        {"grant_type": "client_credentials", **data},
        HTTP_AUTHORIZATION=basic_auth(client_id, secret),
    )


@pytest.fixture
def token_for(issue_client):
    """An access token for a new client of a TSP, through the token endpoint."""

    def token(tdsp_code="AEP_TEXAS", scopes=None):
        client, secret = issue_client(tdsp_code=tdsp_code, scopes=scopes)
        response = request_token(client.client_id, secret)
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return token


@pytest.fixture
def api(token_for):
    """GET an API path as a client of a TSP (AEP Texas unless told)."""

    def get(path, tdsp_code="AEP_TEXAS", token=None, **extra):
        token = token or token_for(tdsp_code)
        return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}", **extra)

    return get


# Longer than any single test that counts against a limit takes.
WINDOW_MARGIN_SECONDS = 4


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate and failure counters start empty in every test, and no test
    straddles two of their fixed windows (all are whole minutes, counted
    from the epoch): near the end of a minute, wait for the next one."""
    cache.clear()
    ratelimit.forget_redis_failure()
    if time.time() % 60 > 60 - WINDOW_MARGIN_SECONDS:
        time.sleep(60 - time.time() % 60 + 0.1)
