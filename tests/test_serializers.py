"""The API's direct serializers render exactly what DRF's generic code would.

DirectSerializer takes shortcuts for speed; these compare its output with
DRF's own Serializer.to_representation over every bundled GINR and event.
"""

import pytest
from django.db.models import F
from rest_framework import serializers

from ginr.api.serializers import (
    ChangeEventSerializer,
    GinrDetailSerializer,
    GinrListSerializer,
)
from ginr.models import ChangeEvent, Ginr

pytestmark = pytest.mark.django_db


def drf_rendering(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


def test_list_rows_render_as_drf_renders_them():
    ginrs = list(Ginr.objects.annotate(role=F("assignments__role")).order_by("pk"))
    serializer = GinrListSerializer()

    assert len(ginrs) > 2000
    for ginr in ginrs:
        assert serializer.to_representation(ginr) == drf_rendering(serializer, ginr)


def test_a_full_ginr_renders_as_drf_renders_it():
    ginrs = Ginr.objects.prefetch_related("assignments__tdsp").order_by("pk")
    serializer = GinrDetailSerializer()

    checked = 0
    for ginr in ginrs:
        ginr.role = "primary"
        assert serializer.to_representation(ginr) == drf_rendering(serializer, ginr)
        checked += 1
    assert checked > 2000


def test_change_events_render_as_drf_renders_them():
    events = list(
        ChangeEvent.objects.annotate(inr=F("ginr__inr"), tdsp_code=F("tdsp__code"))
    )
    serializer = ChangeEventSerializer()

    assert events
    for event in events:
        assert serializer.to_representation(event) == drf_rendering(serializer, event)


def test_a_null_field_renders_as_null_and_a_number_keeps_its_type():
    ginr = Ginr.objects.filter(capacity_mw__isnull=False).first()
    ginr.role = "primary"
    ginr.projected_cod = None

    rendered = GinrListSerializer().to_representation(ginr)

    assert rendered["projectedCod"] is None
    assert isinstance(rendered["id"], int)
    assert (
        rendered["capacityMw"]
        == drf_rendering(GinrListSerializer(), ginr)["capacityMw"]
    )
