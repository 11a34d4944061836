import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField

from ginr.models import Assignment, Ginr

# Outside these, converting a time to UTC can overflow Python's datetime.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class BoundedIsoDateTimeField(IsoDateTimeField):
    """A timestamp the database can compare with, in any time zone."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None and not (EARLIEST <= value <= LATEST):
            raise forms.ValidationError("must be between 1900 and 9000")
        # PostgreSQL refuses UTC offsets beyond 15:59 that ISO 8601 and
        # Python allow (+16:36, say); in UTC every valid time is comparable.
        return None if value is None else value.astimezone(dt.UTC)


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class GinrFilter(django_filters.FilterSet):
    """tdspList filters. Names are camelCase like the JSON they filter."""

    status = django_filters.ChoiceFilter(choices=Ginr.Status.choices)
    size = django_filters.ChoiceFilter(choices=Ginr.Size.choices)
    role = django_filters.ChoiceFilter(choices=Assignment.Role.choices)
    studyPhase = django_filters.CharFilter(
        field_name="study_phase", lookup_expr="iexact"
    )
    screeningStudy = django_filters.ChoiceFilter(
        field_name="screening_study", choices=Ginr.ScreeningStudy.choices
    )
    fullStudy = django_filters.ChoiceFilter(
        field_name="full_study", choices=Ginr.FullStudy.choices
    )
    agreement = django_filters.ChoiceFilter(choices=Ginr.Agreement.choices)
    fuel = django_filters.CharFilter(lookup_expr="iexact")
    technology = django_filters.CharFilter(lookup_expr="iexact")
    county = django_filters.CharFilter(lookup_expr="iexact")
    cdrZone = django_filters.CharFilter(field_name="cdr_zone", lookup_expr="iexact")
    inr = django_filters.CharFilter(lookup_expr="iexact")
    modifiedSince = BoundedIsoDateTimeFilter(
        field_name="modified_at", lookup_expr="gte"
    )

    class Meta:
        model = Ginr
        fields = []
