"""The reference client (sync_client/) against a live server, over real HTTP."""

import hashlib
import json

import httpx
import pytest
from ginr_sync.cli import load_credentials, table, write_report
from ginr_sync.client import Change, Credentials, sync

from ginr.api.serializers import MILESTONES, field_key
from ginr.importers.gis_report import UNKNOWN
from ginr.models import Assignment, Ginr, ReportImport
from ginr.services import (
    STATUS_RANK,
    assignments_import,
    change_value,
    gis_report_apply,
    tdsps_import,
)
from oauth_clients.services import client_create
from tests.conftest import DATA, csv_rows, parsed_report

DECEMBER = DATA / "GIS_Report_2025-12.xlsx"
JANUARY = DATA / "GIS_Report_2026-01.xlsx"
KEY_FIELDS = [
    "study_phase",
    "projected_cod",
    "capacity_mw",
    "poi_location",
    "status",
    *(name for _, name in MILESTONES),
]
STATUS_SHEETS = [
    ("inactive", "inactive", "inactive_date"),
    ("cancelled", "cancelled", "cancelled_date"),
]


def import_month(path):
    gis_report_apply(
        report=parsed_report(path),
        file_name=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    assignments_import(rows=csv_rows("inr_primary_tsp.csv"))


def key_state(report, previous):
    """Each INR's key fields after a report, from its rows alone.

    A project-sheet row sets every key field it has (a small generator's row
    has no study phase or study milestones); a status sheet sets its date and
    the latest stage of life any sheet gives the INR wins; what a report does
    not mention keeps its previous value.
    """
    state = {inr: dict(values) for inr, values in previous.items()}
    listed, stages = set(), {}
    for sheet in (report.large, report.small):
        for row in sheet:
            if row["inr"] in listed:
                continue
            listed.add(row["inr"])
            values = state.setdefault(row["inr"], {})
            for name in KEY_FIELDS:
                if name not in ("status", "approved_for_commercial_operation"):
                    if name not in ("inactive_date", "cancelled_date"):
                        values[name] = row.get(
                            name, "" if name == "study_phase" else None
                        )
            stages[row["inr"]] = "active"
    commissioned = [
        (
            row,
            "commercial_operation" if row["category"].endswith("operation") else None,
            row["category"],
        )
        for row in report.commissioning
    ]
    statused = [
        (row, status, date_field)
        for sheet, status, date_field in STATUS_SHEETS
        for row in getattr(report, sheet)
    ]
    for row, status, date_field in [*statused, *commissioned]:
        if row["inr"] not in state:
            # Known from a status sheet only: it carries the capacity.
            state[row["inr"]] = {"capacity_mw": row["capacity_mw"]}
        values = state[row["inr"]]
        if status or values.get(date_field) is None:
            values[date_field] = row["date"]
        if (
            status
            and STATUS_RANK[status] > STATUS_RANK[stages.get(row["inr"], "active")]
        ):
            stages[row["inr"]] = status
        elif status:
            stages.setdefault(row["inr"], status)
    for inr, stage in stages.items():
        state[inr]["status"] = stage
    return state


def shown(value, name):
    if value is None and name in ("study_phase", "poi_location"):
        value = ""
    return "unknown" if value is UNKNOWN else change_value(value)


def expected_changes(before, after, members_before, members_after):
    """(inr, change, field, old, new) a TSP's client should report."""
    expected = {(inr, "new", "", None, None) for inr in members_after - members_before}
    expected |= {
        (inr, "removed", "", None, None) for inr in members_before - members_after
    }
    for inr in members_before & members_after:
        for name in KEY_FIELDS:
            old = shown(before[inr].get(name), name)
            new = shown(after[inr].get(name), name)
            if old != new:
                expected.add((inr, "changed", field_key(name), old, new))
    return expected


def members(tdsp_code):
    return set(
        Assignment.objects.filter(tdsp__code=tdsp_code).values_list(
            "ginr__inr", flat=True
        )
    )


def reported(changes):
    return {(c.inr, c.change, c.field, c.old, c.new) for c in changes}


@pytest.mark.django_db(transaction=True)
def test_the_client_reports_exactly_the_next_months_changes_for_its_tsp(
    live_server, tmp_path
):
    # The server holds December 2025 (tests that commit start from scratch).
    Assignment.objects.all().delete()
    Ginr.objects.all().delete()
    ReportImport.objects.all().delete()
    tdsps_import(rows=csv_rows("tsps.csv"))
    import_month(DECEMBER)
    clients = {}
    for code in ("AEP_TEXAS", "ONCOR"):
        issued = client_create(tdsp_code=code, name=f"{code} sync")
        clients[code] = Credentials(issued.client.client_id, issued.secret)

    def run(code):
        return sync(
            base_url=live_server.url,
            credentials=clients[code],
            db_path=tmp_path / f"{code}.sqlite3",
        )

    first = {code: run(code) for code in clients}
    before = {code: members(code) for code in clients}
    assert reported(first["AEP_TEXAS"]) == {
        (inr, "new", "", None, None) for inr in before["AEP_TEXAS"]
    }

    # January 2026 arrives.
    import_month(JANUARY)
    second = {code: run(code) for code in clients}

    december = key_state(parsed_report(DECEMBER), {})
    january = key_state(parsed_report(JANUARY), december)
    for code in clients:
        expected = expected_changes(december, january, before[code], members(code))
        assert reported(second[code]) == expected, code
    aep_only = before["AEP_TEXAS"] - before["ONCOR"]
    assert {c.inr for c in second["AEP_TEXAS"]} & aep_only
    assert not {c.inr for c in second["ONCOR"]} & aep_only

    # Nothing new: nothing to report.
    assert run("AEP_TEXAS") == []


def fake_api(responses, calls):
    """An HTTP transport answering from a list, recording each request."""

    def handle(request):
        calls.append(request.url.path)
        if request.url.path == "/oauth/token":
            return httpx.Response(
                200,
                json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600},
            )
        return responses.pop(0)

    return httpx.MockTransport(handle)


EMPTY_FEED = {"events": [], "cursor": "c1", "more": False}


def test_429_and_503_are_retried_after_the_wait_the_server_asks_for(tmp_path):
    calls, slept = [], []
    responses = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": "3600"}),
        httpx.Response(503),
        httpx.Response(200, json=EMPTY_FEED),
    ]

    changes = sync(
        base_url="http://api.test",
        credentials=Credentials("id", "secret"),
        db_path=tmp_path / "db.sqlite3",
        sleep=slept.append,
        transport=fake_api(responses, calls),
    )

    assert changes == []
    # Retry-After as asked, capped at a minute; backoff when none is given.
    assert slept == [7, 60, 4]


def test_the_token_is_reused_across_runs_until_shortly_before_expiry(tmp_path):
    calls = []
    responses = [httpx.Response(200, json=EMPTY_FEED) for _ in range(2)]
    for _ in range(2):
        sync(
            base_url="http://api.test",
            credentials=Credentials("id", "secret"),
            db_path=tmp_path / "db.sqlite3",
            transport=fake_api(responses, calls),
        )

    assert calls.count("/oauth/token") == 1
    assert calls.count("/ginr/rest/changes") == 2


def test_the_report_is_a_table_csv_or_json(tmp_path):
    changes = [Change("26INR0001", 1, "Sun", "changed", "projectedCod", "a", "b")]

    write_report(changes, tmp_path / "r.csv", "csv")
    write_report(changes, tmp_path / "r.json", "json")

    assert "26INR0001" in table(changes)
    assert "No new GINRs" in table([])
    assert (tmp_path / "r.csv").read_text().splitlines() == [
        "inr,ginr_id,project_name,change,field,old,new",
        "26INR0001,1,Sun,changed,projectedCod,a,b",
    ]
    assert json.loads((tmp_path / "r.json").read_text())[0]["new"] == "b"


def test_credentials_come_from_a_file_or_the_environment(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"client_id": "a", "client_secret": "b"}))

    assert load_credentials(str(path), environ={}) == Credentials("a", "b")
    assert load_credentials(
        None, environ={"GINR_CLIENT_ID": "c", "GINR_CLIENT_SECRET": "d"}
    ) == Credentials("c", "d")
    with pytest.raises(SystemExit):
        load_credentials(None, environ={})
