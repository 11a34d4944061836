import pytest
from django.core.management import call_command

from ginr.models import Assignment, Ginr, Tdsp
from ginr.services import PUCT_35077_SOURCE, assignments_import, tdsps_import
from tests.conftest import DATA, csv_rows

pytestmark = pytest.mark.django_db


def test_legacy_tsp_names_resolve_to_their_successor():
    central = Tdsp.objects.get(code="AEP_TCC")
    north = Tdsp.objects.get(code="AEP_TNC")

    assert central.successor.code == "AEP_TEXAS"
    assert north.successor.code == "AEP_TEXAS"
    assert not central.active
    assert Tdsp.objects.filter(active=True).count() == 30


def test_reimporting_the_tsp_list_changes_nothing():
    before = list(Tdsp.objects.values())

    summary = tdsps_import(rows=csv_rows("tsps.csv"))

    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 32)
    assert list(Tdsp.objects.values()) == before


def test_the_latest_filing_tsp_is_primary_and_the_others_are_other():
    known = set(Ginr.objects.values_list("inr", flat=True))
    shared = [
        row
        for row in csv_rows("inr_primary_tsp.csv")
        if row["inr"] in known and ";" in row["tsp_codes_all"]
    ]
    assert shared, "the real mapping has GINRs with more than one TSP"

    for row in shared:
        roles = dict(
            Assignment.objects.filter(ginr__inr=row["inr"]).values_list(
                "tdsp__code", "role"
            )
        )
        assert roles.pop(row["tsp_code_latest"]) == "primary"
        assert set(roles.values()) <= {"other"}
        assert set(roles) <= set(row["tsp_codes_all"].split(";"))


def test_assignments_name_successors_never_legacy_tsps():
    assert not Assignment.objects.filter(tdsp__active=False).exists()
    legacy_rows = [
        row
        for row in csv_rows("inr_primary_tsp.csv")
        if row["tsp_code_latest"] in ("AEP_TCC", "AEP_TNC")
        and Ginr.objects.filter(inr=row["inr"]).exists()
    ]
    for row in legacy_rows:
        primary = Assignment.objects.get(ginr__inr=row["inr"], role="primary")
        assert primary.tdsp.code == "AEP_TEXAS"


def test_every_assignment_records_its_source():
    assert set(Assignment.objects.values_list("source", flat=True)) == {
        PUCT_35077_SOURCE
    }


def test_exactly_the_mapped_ginrs_are_assigned():
    mapped = {
        row["inr"] for row in csv_rows("inr_primary_tsp.csv") if row["tsp_code_latest"]
    }
    known = set(Ginr.objects.values_list("inr", flat=True))

    assigned = set(Ginr.objects.exclude(assignments=None).values_list("inr", flat=True))

    assert assigned == mapped & known
    assert len(known - assigned) > 1000


def test_reimporting_the_assignments_changes_nothing():
    before = list(Assignment.objects.order_by("pk").values())

    summary = assignments_import(rows=csv_rows("inr_primary_tsp.csv"))

    assert (summary.created, summary.updated) == (0, 0)
    assert list(Assignment.objects.order_by("pk").values()) == before


def test_assignment_command_prints_a_one_line_summary(capsys):
    call_command("import_tsp_assignments", str(DATA / "inr_primary_tsp.csv"))

    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith(
        "TSP assignments (inr_primary_tsp.csv, 897 rows): 0 created"
    )


def test_a_row_that_clashes_with_another_source_keeps_its_assignments():
    row = next(
        r
        for r in csv_rows("inr_primary_tsp.csv")
        if r["tsp_codes_all"] == "ONCOR" and Ginr.objects.filter(inr=r["inr"]).exists()
    )
    ginr = Ginr.objects.get(inr=row["inr"])
    # Staff recorded another primary TSP, from a source of their own.
    Assignment.objects.filter(ginr=ginr).update(role="other")
    Assignment.objects.create(
        ginr=ginr, tdsp=Tdsp.objects.get(code="CNP"), role="primary", source="staff"
    )

    summary = assignments_import(rows=[{**row, "tsp_codes_all": "ONCOR;TNMP"}])

    assert summary.skipped == 1
    assert set(ginr.assignments.values_list("tdsp__code", "role", "source")) == {
        ("ONCOR", "other", PUCT_35077_SOURCE),
        ("CNP", "primary", "staff"),
    }
