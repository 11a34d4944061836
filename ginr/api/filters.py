import django_filters

from ginr.models import Assignment, Ginr


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
    modifiedSince = django_filters.IsoDateTimeFilter(
        field_name="modified_at", lookup_expr="gte"
    )

    class Meta:
        model = Ginr
        fields = []
