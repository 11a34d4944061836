"""JSON shapes of the API. Keys are camelCase; each names its model field."""

from functools import cached_property
from operator import attrgetter

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject

from ginr.models import Assignment, Tdsp

# Fields whose rendering of a non-null value is exactly this conversion.
PLAIN_CONVERSIONS = {serializers.CharField: str, serializers.IntegerField: int}


class TdspSerializer(serializers.ModelSerializer):
    successorCode = serializers.CharField(
        source="successor.code", default=None, allow_null=True
    )

    class Meta:
        model = Tdsp
        fields = ["code", "name", "kind", "active", "successorCode"]


class DirectSerializer(serializers.Serializer):
    """A read-only serializer that renders its simple fields directly.

    DRF's to_representation takes about 8 microseconds a field (attribute
    lookup through get_attribute, per-field type checks, the readable-fields
    generator); a page of 100 GINRs has 2,000 of them, which made the
    serializer the largest part of a tdspList request (BENCHMARKS.md). Here
    a field whose source is one attribute reads it with a precomputed getter,
    and a CharField or IntegerField converts with str or int as DRF would;
    every other field is rendered by DRF's own code. The output is the same
    as DRF's, which tests pin over every bundled GINR.
    """

    @cached_property
    def _plan(self):
        plan = []
        for field in self._readable_fields:
            direct = "." not in field.source and field.source != "*"
            convert = PLAIN_CONVERSIONS.get(type(field), field.to_representation)
            plan.append(
                (
                    field.field_name,
                    attrgetter(field.source) if direct else None,
                    convert,
                    field,
                )
            )
        return plan

    def to_representation(self, instance):
        rendered = {}
        for name, getter, convert, field in self._plan:
            if getter is not None:
                value = getter(instance)
                rendered[name] = None if value is None else convert(value)
                continue

            # DRF's own steps, for nested and computed fields.
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            if isinstance(attribute, PKOnlyObject):
                check_for_none = attribute.pk
            else:
                check_for_none = attribute
            rendered[name] = (
                None if check_for_none is None else field.to_representation(attribute)
            )
        return rendered


class GinrSummarySerializer(DirectSerializer):
    id = serializers.IntegerField()
    inr = serializers.CharField()
    projectName = serializers.CharField(source="project_name")
    size = serializers.CharField()
    status = serializers.CharField()
    studyPhase = serializers.CharField(source="study_phase")
    screeningStudy = serializers.CharField(source="screening_study")
    fullStudy = serializers.CharField(source="full_study")
    agreement = serializers.CharField()
    interconnectingEntity = serializers.CharField(source="interconnecting_entity")
    county = serializers.CharField()
    cdrZone = serializers.CharField(source="cdr_zone")
    fuel = serializers.CharField()
    technology = serializers.CharField()
    capacityMw = serializers.DecimalField(
        source="capacity_mw", max_digits=12, decimal_places=4, allow_null=True
    )
    projectedCod = serializers.DateField(source="projected_cod", allow_null=True)
    reportMonth = serializers.DateField(source="report_month")
    createdAt = serializers.DateTimeField(source="created_at")
    modifiedAt = serializers.DateTimeField(source="modified_at")


class GinrListSerializer(GinrSummarySerializer):
    """A GINR in the caller's list, with the caller's role on it."""

    role = serializers.CharField()


# (JSON key, model field) of every milestone, in the order of the process.
MILESTONES = [
    ("siteControlApproved", "site_control_approved"),
    ("screeningStudyStarted", "screening_study_started"),
    ("screeningStudyCompleted", "screening_study_completed"),
    ("fisRequested", "fis_requested"),
    ("fisApproved", "fis_approved"),
    ("iaSigned", "ia_signed"),
    ("meetsPlanning691", "meets_planning_6_9_1"),
    ("meetsAllPlanning69", "meets_all_planning_6_9"),
    ("meetsQsaPrerequisites", "meets_qsa_prerequisites"),
    ("constructionStart", "construction_start"),
    ("constructionEnd", "construction_end"),
    ("modelReady", "model_ready"),
    ("approvedForEnergization", "approved_for_energization"),
    ("approvedForSynchronization", "approved_for_synchronization"),
    ("approvedForCommercialOperation", "approved_for_commercial_operation"),
    ("inactive", "inactive_date"),
    ("cancelled", "cancelled_date"),
]
PERMITS = [
    ("air", "air_permit"),
    ("ghg", "ghg_permit"),
    ("water", "water_availability"),
]


MILESTONE_SCHEMA = {
    "type": "object",
    "properties": {
        "reached": {"type": "boolean"},
        "date": {"type": ["string", "null"], "format": "date"},
    },
    "required": ["reached", "date"],
}


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: MILESTONE_SCHEMA for key, _ in MILESTONES},
        "required": [key for key, _ in MILESTONES],
    }
)
class MilestonesField(serializers.Field):
    """Each milestone as {reached, date}.

    ERCOT's 1900-01-01 marker means reached on an unknown date: it is shown
    as reached with a null date, never as a date.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, ginr):
        unknown = set(ginr.unknown_date_fields)
        milestones = {}
        for key, name in MILESTONES:
            date = getattr(ginr, name)
            milestones[key] = {
                "reached": date is not None or name in unknown,
                "date": date.isoformat() if date else None,
            }
        return milestones


PERMIT_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {
            "type": "string",
            "enum": ["", "obtained", "not_required", "pending"],
        },
        "date": {"type": ["string", "null"], "format": "date"},
        "dateUnknown": {"type": "boolean"},
    },
    "required": ["status", "date", "dateUnknown"],
}


@extend_schema_field(
    {
        "type": "object",
        "properties": {key: PERMIT_SCHEMA for key, _ in PERMITS},
        "required": [key for key, _ in PERMITS],
    }
)
class PermitsField(serializers.Field):
    """Each permit as {status, date}; status is "" where the sheet has none."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, ginr):
        permits = {}
        for key, name in PERMITS:
            date = getattr(ginr, f"{name}_date")
            permits[key] = {
                "status": getattr(ginr, name),
                "date": date.isoformat() if date else None,
                "dateUnknown": f"{name}_date" in ginr.unknown_date_fields,
            }
        return permits


class AssignmentSerializer(serializers.ModelSerializer):
    tdspCode = serializers.CharField(source="tdsp.code")
    tdspName = serializers.CharField(source="tdsp.name")

    class Meta:
        model = Assignment
        fields = ["tdspCode", "tdspName", "role", "source"]


class GinrDetailSerializer(GinrSummarySerializer):
    poiLocation = serializers.CharField(source="poi_location")
    changeIndicators = serializers.CharField(source="change_indicators")
    comment = serializers.CharField()
    economicStudyRequired = serializers.BooleanField(
        source="economic_study_required", allow_null=True
    )
    financialSecurityProvided = serializers.BooleanField(
        source="financial_security_provided", allow_null=True
    )
    milestones = MilestonesField()
    permits = PermitsField()
    assignments = AssignmentSerializer(many=True)


def _camel(name):
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


# A changed field by the key the GINR's JSON shows it under (milestones by
# their key in "milestones").
FIELD_KEYS = {name: key for key, name in MILESTONES}


def field_key(name):
    return FIELD_KEYS.get(name) or _camel(name)


class ChangeEventSerializer(DirectSerializer):
    """One change event; values are as the GINR's JSON shows them."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    ginrId = serializers.IntegerField(source="ginr_id")
    inr = serializers.CharField()
    field = serializers.SerializerMethodField()
    oldValue = serializers.JSONField(source="old_value")
    newValue = serializers.JSONField(source="new_value")
    tdspCode = serializers.CharField(source="tdsp_code", allow_null=True)
    reportMonth = serializers.DateField(source="report_month", allow_null=True)
    recordedAt = serializers.DateTimeField(source="recorded_at")

    def get_field(self, event) -> str | None:
        return field_key(event.field) if event.field else None
