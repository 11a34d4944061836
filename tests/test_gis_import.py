import datetime as dt
import hashlib
import shutil
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from ginr.importers.gis_report import (
    CANCELLATION,
    COMMISSIONING,
    INACTIVE,
    LARGE_GEN,
    SMALL_GEN,
    UNKNOWN,
    read_gis_report,
)
from ginr.models import Assignment, Ginr, ReportImport
from ginr.services import gis_report_apply
from tests.conftest import LATEST_REPORT, REPORTS, parsed_report

pytestmark = pytest.mark.django_db


def empty_ginr_tables():
    Assignment.objects.all().delete()
    Ginr.objects.all().delete()
    ReportImport.objects.all().delete()


def apply(path):
    return gis_report_apply(
        report=parsed_report(path),
        file_name=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def table_state():
    """Everything an import may write, to compare before and after."""
    return (
        list(Ginr.objects.order_by("inr").values()),
        list(ReportImport.objects.order_by("pk").values()),
    )


@pytest.mark.parametrize("path", REPORTS, ids=lambda path: path.stem)
def test_each_bundled_report_yields_one_ginr_per_project_row(path):
    empty_ginr_tables()
    report = parsed_report(path)

    summary = apply(path)

    large = {row["inr"] for row in report.large}
    small = {row["inr"] for row in report.small}
    assert len(large) == len(report.large)
    assert len(small) == len(report.small)
    assert Ginr.objects.filter(inr__in=large, size="large").count() == len(large)
    assert Ginr.objects.filter(inr__in=small, size="small").count() == len(small)
    everything = (
        large
        | small
        | {row["inr"] for row in report.commissioning}
        | {row["inr"] for row in report.inactive}
        | {row["inr"] for row in report.cancelled}
    )
    assert Ginr.objects.count() == summary.created == len(everything)
    assert Ginr.objects.filter(
        inr__in={row["inr"] for row in report.inactive}, status="inactive"
    ).count() == len(report.inactive)
    assert Ginr.objects.filter(
        inr__in={row["inr"] for row in report.cancelled}, status="cancelled"
    ).count() == len(report.cancelled)
    in_operation = {
        row["inr"]
        for row in report.commissioning
        if row["category"] == "approved_for_commercial_operation"
    }
    assert Ginr.objects.filter(status="commercial_operation").count() == len(
        in_operation
    )


def test_sheet_row_counts_match_the_workbook():
    report = parsed_report(LATEST_REPORT)

    assert report.month == dt.date(2026, 1, 1)
    assert report.rows == {
        LARGE_GEN: 1831,
        SMALL_GEN: 50,
        COMMISSIONING: 29,
        INACTIVE: 153,
        CANCELLATION: 13,
    }


def test_importing_the_same_report_twice_changes_nothing():
    before = table_state()

    summary = apply(LATEST_REPORT)

    assert (summary.created, summary.updated) == (0, 0)
    assert summary.unchanged == Ginr.objects.count()
    assert table_state() == before


def test_next_month_updates_only_the_ginrs_that_changed():
    empty_ginr_tables()
    december = REPORTS[2]
    apply(december)
    first_seen = dict(Ginr.objects.values_list("inr", "modified_at"))

    summary = apply(LATEST_REPORT)

    assert summary.updated > 0
    assert summary.unchanged > 1000
    changed = Ginr.objects.filter(modified_at__gt=max(first_seen.values()))
    assert changed.count() == summary.updated + summary.created
    untouched = Ginr.objects.exclude(pk__in=changed)
    assert all(ginr.modified_at == first_seen[ginr.inr] for ginr in untouched)
    assert set(Ginr.objects.values_list("report_month", flat=True)) >= {
        dt.date(2026, 1, 1)
    }


def test_an_older_report_is_refused_and_nothing_changes():
    before = table_state()

    with pytest.raises(CommandError, match="older than the latest imported report"):
        call_command("import_gis_report", str(REPORTS[0]))

    assert table_state() == before


def test_import_command_prints_a_one_line_summary(capsys):
    call_command("import_gis_report", str(LATEST_REPORT))

    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith(
        "GIS report 2026-01 (GIS_Report_2026-01.xlsx): 0 created, 0 updated, "
        "2054 unchanged, 0 skipped"
    )


def test_fields_are_typed_as_the_report_means_them():
    ginr = Ginr.objects.get(inr="15INR0064b")

    assert ginr.project_name == "Harald (BearKat Wind B)"
    assert ginr.size == "large"
    assert ginr.capacity_mw == Decimal("162.1")
    assert ginr.projected_cod == dt.date(2026, 2, 28)
    assert ginr.study_phase == "SS Completed, FIS Completed, IA"
    assert (ginr.screening_study, ginr.full_study, ginr.agreement) == (
        "completed",
        "completed",
        "signed",
    )
    assert ginr.economic_study_required is False
    assert ginr.financial_security_provided is True
    assert ginr.air_permit == Ginr.Permit.NOT_REQUIRED
    assert ginr.air_permit_date is None
    assert ginr.site_control_approved is None
    assert ginr.ia_signed == dt.date(2018, 5, 30)
    assert ginr.approved_for_synchronization == dt.date(2020, 5, 12)


def test_small_generators_carry_their_model_ready_date():
    ginr = Ginr.objects.get(inr="22INR0596")

    assert ginr.size == "small"
    assert ginr.model_ready == dt.date(2022, 9, 1)
    assert ginr.study_phase == ""
    assert ginr.air_permit == ""
    assert ginr.capacity_mw == Decimal("0")


def test_a_blank_permit_means_required_but_not_obtained():
    pending = Ginr.objects.filter(size="large", air_permit="pending")

    assert pending.exists()
    assert not pending.exclude(air_permit_date=None).exists()
    assert Ginr.objects.filter(air_permit="obtained", air_permit_date=None).count() == 0


def test_status_sheets_set_status_and_dates():
    cancelled = Ginr.objects.get(inr="23INR0101")
    inactive = Ginr.objects.get(inr="13INR0010a")
    operating = Ginr.objects.get(inr="23INR0160")

    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_date == dt.date(2026, 1, 6)
    assert inactive.status == "inactive"
    assert inactive.inactive_date == dt.date(2019, 9, 9)
    assert operating.status == "commercial_operation"
    assert operating.approved_for_commercial_operation == dt.date(2026, 1, 21)
    assert cancelled.fuel == "SOL"


# --- Workbooks that are not what ERCOT publishes ------------------------------


@pytest.fixture(scope="module")
def editable_workbook(tmp_path_factory):
    """Write a copy of the real January workbook after an edit."""
    directory = tmp_path_factory.mktemp("workbooks")

    def edit(change, name="edited.xlsx"):
        workbook = openpyxl.load_workbook(LATEST_REPORT)
        change(workbook)
        path = directory / name
        workbook.save(path)
        return path

    return edit


def test_the_unknown_date_marker_is_read_as_reached_on_an_unknown_date(
    editable_workbook,
):
    def mark_unknown(workbook):
        sheet = workbook[LARGE_GEN]
        assert sheet["A36"].value == "15INR0064b"
        sheet["S36"].value = dt.datetime(1900, 1, 1)
        sheet["U36"].value = dt.datetime(1900, 1, 1)

    report = read_gis_report(editable_workbook(mark_unknown))
    gis_report_apply(report=report, file_name="edited.xlsx", sha256="0" * 64)

    assert report.large[0]["ia_signed"] is UNKNOWN
    ginr = Ginr.objects.get(inr="15INR0064b")
    assert ginr.ia_signed is None
    assert ginr.air_permit == "obtained"
    assert ginr.air_permit_date is None
    assert ginr.unknown_date_fields == ["air_permit_date", "ia_signed"]


def moved_header(workbook):
    workbook[LARGE_GEN].insert_cols(2)


def renamed_sheet(workbook):
    workbook[SMALL_GEN].title = "Small Gen"


def bad_date(workbook):
    workbook[LARGE_GEN]["H36"].value = "soon"


def bad_yes_no(workbook):
    workbook[LARGE_GEN]["R36"].value = "Maybe"


def not_an_inr(workbook):
    workbook[INACTIVE]["A12"].value = "ABC"


def no_report_month(workbook):
    workbook["Contents"]["A7"].value = "GIM Activity"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (moved_header, "expected 'Project Name' in column B of the header"),
        (renamed_sheet, "missing 'Project Details - Small Gen'"),
        (bad_date, "row 36 column H (Projected COD): expected a date, found 'soon'"),
        (bad_yes_no, "column R (Economic Study Required): expected Yes or No"),
        (not_an_inr, "row 12: expected an INR such as 23INR0368"),
        (no_report_month, "expected a line 'GIM Activity:"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_a_malformed_workbook_is_refused_and_nothing_changes(
    editable_workbook, change, message
):
    path = editable_workbook(change, name=f"{change.__name__}.xlsx")
    before = table_state()

    with pytest.raises(
        CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        call_command("import_gis_report", str(path))

    assert table_state() == before


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_text("INR,Project Name\n23INR0368,Not a workbook\n")
    before = table_state()

    with pytest.raises(CommandError, match="is not an Excel workbook"):
        call_command("import_gis_report", str(path))

    assert table_state() == before


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_gis_report", str(tmp_path / "missing.xlsx"))


def test_the_same_workbook_under_another_name_records_no_second_import(tmp_path):
    copy = tmp_path / "ercot-download.xlsx"
    shutil.copy(LATEST_REPORT, copy)
    before = table_state()

    call_command("import_gis_report", str(copy))

    assert table_state() == before
