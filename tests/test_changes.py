"""Change events: recorded by the imports, served by the feed and history."""

import copy
import csv
import datetime as dt
import gzip
import hashlib
import threading

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from ginr.api.views import ChangeFeedView
from ginr.importers.gis_history import read_gis_history
from ginr.importers.gis_report import UNKNOWN
from ginr.models import Assignment, ChangeEvent, Ginr, ReportImport, Tdsp
from ginr.services import (
    CHANGE_FIELDS,
    STATUS_RANK,
    assignment_changes_record,
    assignments_import,
    change_value,
    changes_lock,
    gis_report_apply,
)
from tests.conftest import DATA, LATEST_REPORT, parsed_report

HISTORY = DATA / "gis_monthly_2014-05_to_2026-06.csv.gz"
FEED = "/ginr/rest/changes"


def empty_ginr_tables():
    Assignment.objects.all().delete()
    Ginr.objects.all().delete()
    ReportImport.objects.all().delete()


def history_sample(tmp_path, months):
    """The history table cut down to some months, as a file of its own."""
    path = tmp_path / "history_sample.csv.gz"
    with gzip.open(HISTORY, "rt", newline="") as source:
        reader = csv.DictReader(source)
        with gzip.open(path, "wt", newline="") as target:
            writer = csv.DictWriter(target, fieldnames=reader.fieldnames)
            writer.writeheader()
            writer.writerows(row for row in reader if row["fileDate"][:7] in months)
    return path


def project_rows(report):
    """INR -> the values a project-sheet row sets, as change events show them."""
    rows = {}
    for size, sheet in (("large", report.large), ("small", report.small)):
        for row in sheet:
            values = {"size": size}
            for name in CHANGE_FIELDS:
                if name in row:
                    value = row[name]
                    values[name] = (
                        "unknown" if value is UNKNOWN else change_value(value)
                    )
            rows.setdefault(row["inr"], values)
    return rows


def blank(value):
    return None if value == "" else value


def all_inrs(report):
    return {
        row["inr"]
        for sheet in (
            report.large,
            report.small,
            report.commissioning,
            report.inactive,
            report.cancelled,
        )
        for row in sheet
    }


def statuses(report):
    ranked = {}
    sheets = [
        ("active", report.large),
        ("active", report.small),
        ("inactive", report.inactive),
        ("cancelled", report.cancelled),
        (
            "commercial_operation",
            [
                row
                for row in report.commissioning
                if row["category"] == "approved_for_commercial_operation"
            ],
        ),
    ]
    for status, sheet in sheets:
        for row in sheet:
            current = ranked.get(row["inr"], status)
            ranked[row["inr"]] = max(current, status, key=STATUS_RANK.__getitem__)
    return ranked


def status_sheet_inrs(report):
    return {
        row["inr"]
        for sheet in (report.commissioning, report.inactive, report.cancelled)
        for row in sheet
    }


@pytest.mark.django_db
def test_history_replay_records_exactly_the_differences_of_consecutive_months(
    tmp_path,
):
    empty_ginr_tables()
    months = ["2025-09", "2025-10", "2025-11", "2025-12"]
    path = history_sample(tmp_path, months)
    reports = [month.report for month in read_gis_history(path)]

    call_command("import_gis_history", path)

    seen, status_changes = all_inrs(reports[0]), 0
    for before, after in zip(reports, reports[1:], strict=False):
        old, new = project_rows(before), project_rows(after)
        # GINRs on the project sheets of both months and on no status sheet:
        # every difference of their rows must be a field change, and nothing
        # else. A small generator's row has no large-only columns (blank).
        compared = (set(old) & set(new)) - status_sheet_inrs(before)
        compared -= status_sheet_inrs(after)
        expected = {
            (inr, name, blank(old[inr].get(name)), blank(new[inr].get(name)))
            for inr in compared
            for name in old[inr].keys() | new[inr].keys()
            if blank(old[inr].get(name)) != blank(new[inr].get(name))
        }
        recorded = {
            (
                event.ginr.inr,
                event.field,
                blank(event.old_value),
                blank(event.new_value),
            )
            for event in ChangeEvent.objects.filter(
                report_month=after.month,
                ginr__inr__in=compared,
                kind=ChangeEvent.Kind.FIELD_CHANGED,
            ).select_related("ginr")
        }
        assert expected, after.month
        assert recorded == expected, after.month

        # Status: the latest stage of life any sheet of the month gives.
        was, now = statuses(before), statuses(after)
        status_changes += sum(was[i] != now[i] for i in set(was) & set(now))
        assert {
            (event.ginr.inr, event.old_value, event.new_value)
            for event in ChangeEvent.objects.filter(
                report_month=after.month,
                ginr__inr__in=set(was) & set(now),
                kind=ChangeEvent.Kind.STATUS_CHANGED,
            ).select_related("ginr")
        } == {
            (inr, was[inr], now[inr])
            for inr in set(was) & set(now)
            if was[inr] != now[inr]
        }

        # A GINR is created once, in the first month that lists it.
        created = set(
            ChangeEvent.objects.filter(
                report_month=after.month, kind=ChangeEvent.Kind.CREATED
            ).values_list("ginr__inr", flat=True)
        )
        assert created == all_inrs(after) - seen, after.month
        seen |= all_inrs(after)
    assert status_changes


@pytest.mark.django_db
def test_replaying_the_history_again_records_nothing_new(tmp_path):
    empty_ginr_tables()
    path = history_sample(tmp_path, ["2025-11", "2025-12"])
    call_command("import_gis_history", path)
    events = ChangeEvent.objects.count()
    ginrs = list(Ginr.objects.order_by("inr").values())

    call_command("import_gis_history", path)

    assert ChangeEvent.objects.count() == events
    assert list(Ginr.objects.order_by("inr").values()) == ginrs


@pytest.mark.django_db
def test_history_command_prints_a_summary_per_year(tmp_path, capsys):
    empty_ginr_tables()
    path = history_sample(tmp_path, ["2025-12", "2026-01"])

    call_command("import_gis_history", path)

    out = capsys.readouterr().out
    assert "2025: 1 months applied" in out
    assert "2026: 1 months applied" in out


@pytest.mark.django_db
def test_the_history_month_matches_the_published_workbook():
    month = next(
        month
        for month in read_gis_history(HISTORY)
        if month.report.month == dt.date(2026, 1, 1)
    )
    workbook = parsed_report(LATEST_REPORT)

    assert month.report.rows == {
        **workbook.rows,
        # The history keeps one row per INR and month: a project energized
        # and synchronized in the same month is there once.
        "Commissioning Update": workbook.rows["Commissioning Update"] - 1,
    }
    history_large = {row["inr"]: row for row in month.report.large}
    for row in workbook.large:
        assert history_large[row["inr"]] == row


# --- The feed ---------------------------------------------------------------


def read_feed(api, token, query=""):
    """Every event after a starting point, following the cursor; (events, cursor)."""
    events, url = [], f"{FEED}?{query}"
    while True:
        response = api(url, token=token)
        assert response.status_code == 200, response.content
        body = response.json()
        events += body["events"]
        url = f"{FEED}?after={body['cursor']}&pageSize=500"
        if not body["more"]:
            return events, body["cursor"]


def aep_ginr():
    return Ginr.objects.filter(assignments__tdsp__code="AEP_TEXAS", status="active")[0]


def apply_changed(report, month=None):
    gis_report_apply(
        report=report,
        file_name="changed.xlsx",
        sha256=hashlib.sha256(repr(report).encode()).hexdigest(),
    )


def report_with(inr, **values):
    """The latest report with some fields of one large-generator row changed."""
    report = copy.deepcopy(parsed_report(LATEST_REPORT))
    for row in report.large:
        if row["inr"] == inr:
            row.update(values)
    return report


@pytest.mark.django_db
def test_the_feed_starts_with_the_tsps_assignments(api, token_for):
    token = token_for("AEP_TEXAS")

    events, _ = read_feed(api, token, "pageSize=500")

    assert {event["kind"] for event in events} == {"assigned"}
    assert {event["ginrId"] for event in events} == set(
        Assignment.objects.filter(tdsp__code="AEP_TEXAS").values_list(
            "ginr_id", flat=True
        )
    )
    assert [event["id"] for event in events] == sorted(
        {event["id"] for event in events}
    )


@pytest.mark.django_db
def test_following_the_cursor_in_small_pages_neither_skips_nor_repeats(api, token_for):
    token = token_for("AEP_TEXAS")
    everything, _ = read_feed(api, token, "pageSize=500")

    paged, url = [], f"{FEED}?pageSize=7"
    while url:
        body = api(url, token=token).json()
        paged += body["events"]
        url = body["more"] and f"{FEED}?after={body['cursor']}&pageSize=7"

    assert [event["id"] for event in paged] == [event["id"] for event in everything]


@pytest.mark.django_db
def test_a_field_change_reaches_the_assigned_tsp_only(api, token_for):
    aep, oncor = token_for("AEP_TEXAS"), token_for("ONCOR")
    _, aep_cursor = read_feed(api, aep)
    _, oncor_cursor = read_feed(api, oncor)
    ginr = aep_ginr()

    apply_changed(report_with(ginr.inr, projected_cod=dt.date(2031, 7, 1)))

    events, _ = read_feed(api, aep, f"after={aep_cursor}")
    assert [(e["kind"], e["inr"], e["field"], e["newValue"]) for e in events] == [
        ("field_changed", ginr.inr, "projectedCod", "2031-07-01")
    ]
    assert events[0]["oldValue"] == change_value(ginr.projected_cod)
    assert events[0]["reportMonth"] == "2026-01-01"
    assert read_feed(api, oncor, f"after={oncor_cursor}")[0] == []


@pytest.mark.django_db
def test_a_tsp_assigned_later_sees_its_assignment_and_what_follows_only(api, token_for):
    ginr = aep_ginr()
    apply_changed(report_with(ginr.inr, project_name="Before the move"))
    aep, cnp = token_for("AEP_TEXAS"), token_for("CNP")
    _, aep_cursor = read_feed(api, aep)

    # The GINR moves from AEP Texas to CenterPoint, then changes again.
    assignments_import(
        rows=[{"inr": ginr.inr, "tsp_code_latest": "CNP", "tsp_codes_all": "CNP"}]
    )
    apply_changed(report_with(ginr.inr, project_name="After the move"))

    cnp_events = [e for e in read_feed(api, cnp)[0] if e["ginrId"] == ginr.pk]
    assert [(e["kind"], e["newValue"]) for e in cnp_events] == [
        ("assigned", "primary"),
        ("field_changed", "After the move"),
    ]
    aep_events = read_feed(api, aep, f"after={aep_cursor}")[0]
    assert [(e["kind"], e["tdspCode"]) for e in aep_events] == [
        ("unassigned", "AEP_TEXAS")
    ]


@pytest.mark.django_db
def test_modified_since_finds_the_ginrs_the_feed_reports(api, token_for):
    token = token_for("AEP_TEXAS")
    _, cursor = read_feed(api, token)
    start = timezone.now()
    changed, moved = Ginr.objects.filter(assignments__tdsp__code="AEP_TEXAS")[:2]
    apply_changed(report_with(changed.inr, capacity_mw=changed.capacity_mw + 1))
    assignments_import(
        rows=[{"inr": moved.inr, "tsp_code_latest": "CNP", "tsp_codes_all": "CNP"}]
    )

    events, _ = read_feed(api, token, f"after={cursor}")
    listed = api(
        f"/ginr/rest/dashboard/tdspList?modifiedSince={start.isoformat()}".replace(
            "+", "%2B"
        ),
        token=token,
    ).json()["results"]

    assert {event["ginrId"] for event in events} == {changed.pk, moved.pk}
    # The moved GINR is no longer the caller's to list.
    assert [ginr["id"] for ginr in listed] == [changed.pk]


@pytest.mark.django_db
def test_since_starts_the_feed_at_a_moment(api, token_for):
    token = token_for("AEP_TEXAS")
    ginr = aep_ginr()
    start = timezone.now()
    apply_changed(report_with(ginr.inr, comment="new comment"))

    events, _ = read_feed(api, token, f"since={start.isoformat()}".replace("+", "%2B"))

    assert [(e["inr"], e["field"]) for e in events] == [(ginr.inr, "comment")]


@pytest.mark.django_db
def test_without_new_events_the_cursor_stays_put(api, token_for):
    token = token_for("AEP_TEXAS")
    events, cursor = read_feed(api, token)

    assert read_feed(api, token, f"after={cursor}") == ([], cursor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "after=forged",
        "after=",
        "since=yesterday",
        "since=2026-02-30",
        "since=2026-01-01T25:00",
        "after=x&since=2026-01-01",
        "pageSize=0",
        "pageSize=x",
    ],
)
def test_a_bad_feed_parameter_is_a_400_problem(api, query):
    response = api(f"{FEED}?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_a_cursor_of_another_tsp_is_refused(api, token_for):
    _, cursor = read_feed(api, token_for("ONCOR"))

    response = api(f"{FEED}?after={cursor}", token=token_for("AEP_TEXAS"))

    assert response.status_code == 400
    assert response.json()["detail"] == "after: Not a cursor this feed gave out."


@pytest.mark.django_db
def test_a_tampered_cursor_is_refused(api, token_for):
    token = token_for("AEP_TEXAS")
    _, cursor = read_feed(api, token)

    response = api(f"{FEED}?after={cursor[:-2]}xy", token=token)

    assert response.status_code == 400


# --- History of one GINR ----------------------------------------------------


@pytest.mark.django_db
def test_history_lists_a_ginrs_field_changes_newest_first(api):
    ginr = aep_ginr()
    apply_changed(report_with(ginr.inr, comment="first"))
    apply_changed(report_with(ginr.inr, comment="second"))

    body = api(f"/ginr/rest/ginrRequest/{ginr.inr}/history").json()

    changes = [(e["field"], e["oldValue"], e["newValue"]) for e in body["results"]]
    assert changes[:2] == [
        ("comment", "first", "second"),
        ("comment", ginr.comment, "first"),
    ]
    assert changes[-1][0] is None  # created
    assert body["results"][-1]["kind"] == "created"


@pytest.mark.django_db
def test_history_of_another_tsps_ginr_is_404(api):
    ginr = Ginr.objects.filter(assignments__tdsp__code="ONCOR")[0]

    assert api(f"/ginr/rest/ginrRequest/{ginr.pk}/history").status_code == 404


# --- Conditional requests ---------------------------------------------------


def resources():
    ginr = aep_ginr()
    return [
        "/ginr/rest/dashboard/tdspList",
        "/ginr/rest/dashboard/tdspList?fuel=SOL",
        "/ginr/rest/types/tdsp",
        f"/ginr/rest/ginrRequest/{ginr.pk}",
        f"/ginr/rest/ginrRequest/{ginr.pk}/history",
        FEED,
    ]


@pytest.mark.django_db
def test_every_resource_answers_304_to_its_own_etag(api, token_for):
    token = token_for("AEP_TEXAS")
    for path in resources():
        first = api(path, token=token)
        assert first.status_code == 200, path

        again = api(path, token=token, HTTP_IF_NONE_MATCH=first["ETag"])

        assert again.status_code == 304, path
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        assert again["Last-Modified"] == first["Last-Modified"]


@pytest.mark.django_db
def test_every_resource_answers_304_to_if_modified_since(api, token_for):
    token = token_for("AEP_TEXAS")
    for path in resources():
        first = api(path, token=token)

        again = api(path, token=token, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

        assert again.status_code == 304, path


@pytest.mark.django_db
def test_a_change_makes_the_etag_stale(api, token_for):
    token = token_for("AEP_TEXAS")
    ginr = aep_ginr()
    paths = [p for p in resources() if "types" not in p]
    etags = {path: api(path, token=token)["ETag"] for path in paths}

    apply_changed(report_with(ginr.inr, comment="changed"))

    for path in paths:
        response = api(path, token=token, HTTP_IF_NONE_MATCH=etags[path])
        assert response.status_code == 200, path
        assert response["ETag"] != etags[path]


@pytest.mark.django_db
def test_the_etag_differs_between_tsps(api, token_for):
    aep = api(FEED, token=token_for("AEP_TEXAS"))

    oncor = api(FEED, token=token_for("ONCOR"), HTTP_IF_NONE_MATCH=aep["ETag"])

    assert oncor.status_code == 200


@pytest.mark.django_db
def test_a_tsp_list_change_makes_its_etag_stale(api, token_for):
    token = token_for("AEP_TEXAS")
    first = api("/ginr/rest/types/tdsp", token=token)
    tdsp = Tdsp.objects.get(code="ONCOR")
    tdsp.name = "Oncor, renamed"
    tdsp.save()

    again = api("/ginr/rest/types/tdsp", token=token, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 200


# --- Cursor safety while imports run ------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions"
)
@pytest.mark.django_db(transaction=True)
def test_a_cursor_never_skips_an_event_committed_late():
    """Two imports at once: the second waits for the first, so ids commit in order.

    Without changes_lock the second transaction would draw a higher id and
    commit first; a reader in between would move its cursor past the first
    transaction's event and never see it.
    """
    tdsp = Tdsp.objects.create(code="T1", name="Test TSP")
    ginr = Ginr.objects.create(
        inr="30INR0001",
        size="large",
        status="active",
        report_month=dt.date(2026, 1, 1),
        created_at=timezone.now(),
        modified_at=timezone.now(),
    )
    with transaction.atomic():
        changes_lock()
        assignment_changes_record(
            ginr_id=ginr.pk, before={}, after={tdsp.pk: "primary"}, now=timezone.now()
        )
    cursor = ChangeEvent.objects.latest("id").id
    first_inserted, release_first = threading.Event(), threading.Event()
    second_done = threading.Event()

    def record(name, inserted=None, release=None, done=None):
        try:
            with transaction.atomic():
                changes_lock()
                ChangeEvent.objects.create(
                    ginr=ginr,
                    kind="field_changed",
                    field="comment",
                    new_value=name,
                    recorded_at=timezone.now(),
                )
                if inserted:
                    inserted.set()
                if release:
                    release.wait(10)
            if done:
                done.set()
        finally:
            connection.close()

    first = threading.Thread(
        target=record, args=("first", first_inserted, release_first)
    )
    second = threading.Thread(
        target=record, args=("second",), kwargs={"done": second_done}
    )
    first.start()
    assert first_inserted.wait(10)
    second.start()

    # The second import waits for the first; the reader sees neither yet.
    assert not second_done.wait(1)
    visible = ChangeEvent.objects.visible_to(tdsp.pk).filter(id__gt=cursor)
    assert list(visible) == []

    release_first.set()
    first.join(10)
    second.join(10)
    assert [event.new_value for event in visible.order_by("id")] == [
        "first",
        "second",
    ]


class TwoPerMinute(SimpleRateThrottle):
    rate = "2/min"

    def get_cache_key(self, request, view):
        return f"test-304-{request.user.client_id}"


@pytest.mark.django_db
def test_a_304_does_not_count_against_a_rate_limit(token_for):
    view = type(
        "ThrottledFeed", (ChangeFeedView,), {"throttle_classes": [TwoPerMinute]}
    )
    feed = view.as_view()
    token = token_for("AEP_TEXAS")
    cache.clear()

    def get(**headers):
        request = RequestFactory().get(
            FEED, HTTP_AUTHORIZATION=f"Bearer {token}", **headers
        )
        return feed(request)

    first = get()
    not_modified = [get(HTTP_IF_NONE_MATCH=first["ETag"]) for _ in range(3)]

    assert [r.status_code for r in not_modified] == [304, 304, 304]
    assert get().status_code == 200
    assert get().status_code == 429


@pytest.mark.django_db
def test_importing_the_same_report_again_records_no_event():
    events = ChangeEvent.objects.count()

    apply_changed(parsed_report(LATEST_REPORT))

    assert ChangeEvent.objects.count() == events


@pytest.mark.django_db
def test_staff_can_read_the_change_events_in_admin(admin_client):
    ginr = aep_ginr()

    response = admin_client.get(
        "/admin/ginr/changeevent/", {"q": ginr.inr, "kind": "assigned"}
    )

    assert response.status_code == 200
    assert ginr.inr in response.content.decode()
    assert admin_client.get("/admin/ginr/changeevent/add/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"not gzip at all", gzip.compress(b"INR,fileDate\n23INR0001,2025-01-01\n")],
    ids=["not-gzip", "wrong-columns"],
)
def test_a_file_that_is_not_the_history_is_refused(tmp_path, content):
    path = tmp_path / "history.csv.gz"
    path.write_bytes(content)
    events = ChangeEvent.objects.count()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_gis_history", path)

    assert ChangeEvent.objects.count() == events


@pytest.mark.django_db
def test_an_unreadable_value_in_the_history_is_refused(tmp_path):
    path = history_sample(tmp_path, ["2025-12"])
    with gzip.open(path, "rt", newline="") as handle:
        text = handle.read()
    path.write_bytes(gzip.compress(text.replace(",2026-", ",20X6-", 1).encode()))
    events = ChangeEvent.objects.count()

    with pytest.raises(CommandError, match="2025-12"):
        call_command("import_gis_history", path)

    assert ChangeEvent.objects.count() == events
