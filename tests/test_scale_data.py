"""generate_scale_data, at a small size, on PostgreSQL (it needs it)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F
from oauth2_provider.models import AccessToken

from ginr.models import Assignment, Ginr, Tdsp
from oauth_clients.models import AccessRecord, M2MClient

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the generator needs PostgreSQL"
    ),
]

SMALL = [
    "--ginrs=5000",
    "--tsps=40",
    "--clients=60",
    "--tokens=3000",
    "--access-records=4000",
]


def test_it_refuses_a_database_not_named_for_benchmarks():
    with pytest.raises(CommandError, match="ginr_bench"):
        call_command("generate_scale_data", *SMALL)

    assert not Tdsp.objects.filter(code__startswith="SCALE_TSP_").exists()


def test_it_fills_every_table_to_the_asked_size_shaped_like_the_real_queue():
    real_statuses = set(Ginr.objects.values_list("status", flat=True))
    # Tests against a live server commit their access records.
    records_before = AccessRecord.objects.count()
    with_a_tsp = set(
        Assignment.objects.filter(role="primary").values_list("ginr__inr", flat=True)
    )

    call_command("generate_scale_data", *SMALL, "--force")

    assert Ginr.objects.count() == 5000
    assert Tdsp.objects.count() == 40
    assert M2MClient.objects.filter(name="scale client").count() == 60
    assert AccessToken.objects.count() >= 3000
    assert AccessRecord.objects.count() - records_before == 4000
    # Copies keep their original's fields, so the mix of statuses is the real one.
    assert set(Ginr.objects.values_list("status", flat=True)) == real_statuses
    # Every synthetic TSP got GINRs; a copy has a TSP where its original has
    # one, so the share of GINRs with a known TSP is the real one.
    synthetic = Tdsp.objects.filter(code__startswith="SCALE_TSP_")
    assert synthetic.exists()
    assert not synthetic.annotate(n=Count("assignments")).filter(n=0).exists()
    copies = Ginr.objects.filter(inr__contains="S").values_list("inr", flat=True)
    assert set(
        Assignment.objects.filter(ginr__inr__in=copies, role="primary").values_list(
            "ginr__inr", flat=True
        )
    ) == {copy for copy in copies if copy.split("S")[0] in with_a_tsp}
    # An access record names a client and that client's TSP.
    generated = AccessRecord.objects.filter(client__name="scale client")
    assert generated.count() == 4000
    assert not generated.exclude(tdsp_id=F("client__tdsp_id")).exists()
    assert generated.filter(status=200).count() > 3000
