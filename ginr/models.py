"""RIOO data: transmission service providers and the GINRs they study.

A GINR (Generation Interconnection or Change Request) carries every field of
ERCOT's monthly Generation Interconnection Status (GIS) report. The report does
not name a project's TSP; Assignment records which TSPs a GINR belongs to and
where that knowledge came from, and it is the only thing that makes a GINR
visible to a TSP's clients.
"""

from django.db import models
from django.db.models import F, FilteredRelation, Q


class Tdsp(models.Model):
    """A transmission (and distribution) service provider."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    # A legacy name (AEP Texas Central, say) points at the company that
    # absorbed it; assignments always name the successor.
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )
    notes = models.TextField(blank=True)
    # For the reference list's Last-Modified header.
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "TSP/TDSP"
        verbose_name_plural = "TSPs/TDSPs"

    def __str__(self):
        return f"{self.code} ({self.name})"


class GinrQuerySet(models.QuerySet):
    def visible_to(self, tdsp_id):
        """The GINRs assigned to a TSP, each annotated with the TSP's role.

        One join on the TSP's own assignment row, so the role filter and the
        other filters never multiply rows.
        """
        return (
            self.annotate(
                own_assignment=FilteredRelation(
                    "assignments", condition=Q(assignments__tdsp_id=tdsp_id)
                )
            )
            .filter(own_assignment__isnull=False)
            .annotate(role=F("own_assignment__role"))
        )

    def one_with_assignments(self, tdsp_id, **lookup):
        """One GINR visible to a TSP, with all its assignments, in one query.

        Reads the GINR through its assignment rows (each joined to the GINR
        and the TSP) instead of a GINR query and a second one to prefetch the
        assignments: the single read is the API's hottest path. Visibility is
        decided on those rows (one of them must be the TSP's own) rather than
        with visible_to's join, which costs the ORM another millisecond to
        build. Returns None when the GINR does not exist or is not assigned
        to the TSP. lookup is pk= or inr=.
        """
        rows = list(
            Assignment.objects.filter(
                **{f"ginr__{name}": value for name, value in lookup.items()}
            )
            .select_related("ginr", "tdsp")
            .order_by("role", "tdsp__code")
        )
        own = next((row for row in rows if row.tdsp_id == tdsp_id), None)
        if own is None:
            return None

        ginr = own.ginr
        ginr.role = own.role
        for row in rows:
            row.ginr = ginr
        # What prefetch_related would have stored, so that
        # ginr.assignments.all() reads these rows without a query.
        ginr._prefetched_objects_cache = {"assignments": rows}
        return ginr


class Ginr(models.Model):
    class Size(models.TextChoices):
        LARGE = "large", "Large generator"
        SMALL = "small", "Small generator"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        CANCELLED = "cancelled", "Cancelled"
        COMMERCIAL_OPERATION = "commercial_operation", "In commercial operation"

    class ScreeningStudy(models.TextChoices):
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"

    class FullStudy(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"

    class Agreement(models.TextChoices):
        SIGNED = "signed", "Interconnection agreement"
        NOT_SIGNED = "not_signed", "No interconnection agreement"

    class Permit(models.TextChoices):
        OBTAINED = "obtained", "Obtained"
        NOT_REQUIRED = "not_required", "Not required"
        # The report leaves the cell blank when a permit is required but has
        # not been obtained or reported yet.
        PENDING = "pending", "Required, not yet obtained"

    inr = models.CharField("INR", max_length=16, unique=True)
    size = models.CharField(max_length=8, choices=Size.choices)
    status = models.CharField(max_length=24, choices=Status.choices)
    project_name = models.CharField(max_length=300, blank=True)
    interconnecting_entity = models.CharField(max_length=300, blank=True)
    poi_location = models.TextField("POI location", blank=True)
    county = models.CharField(max_length=100, blank=True)
    cdr_zone = models.CharField("CDR reporting zone", max_length=32, blank=True)
    fuel = models.CharField(max_length=32, blank=True)
    technology = models.CharField(max_length=32, blank=True)
    # Net change for repowers, so zero and negative values are real.
    capacity_mw = models.DecimalField(
        "capacity (MW)", max_digits=12, decimal_places=4, null=True
    )
    projected_cod = models.DateField("projected COD", null=True)
    change_indicators = models.CharField(max_length=300, blank=True)
    comment = models.TextField(blank=True)

    # GIM study phase, as published and split into its three parts.
    study_phase = models.CharField(max_length=100, blank=True)
    screening_study = models.CharField(
        max_length=16, choices=ScreeningStudy.choices, blank=True
    )
    full_study = models.CharField(max_length=16, choices=FullStudy.choices, blank=True)
    agreement = models.CharField(max_length=16, choices=Agreement.choices, blank=True)

    # Milestones. None means not reached; a milestone ERCOT marks as reached on
    # an unknown date (its 1900-01-01 marker) is None here and its field name
    # is listed in unknown_date_fields.
    site_control_approved = models.DateField(null=True)
    screening_study_started = models.DateField(null=True)
    screening_study_completed = models.DateField(null=True)
    fis_requested = models.DateField("FIS requested", null=True)
    fis_approved = models.DateField("FIS approved", null=True)
    economic_study_required = models.BooleanField(null=True)
    ia_signed = models.DateField("IA signed", null=True)
    financial_security_provided = models.BooleanField(null=True)
    air_permit = models.CharField(max_length=16, choices=Permit.choices, blank=True)
    air_permit_date = models.DateField(null=True)
    ghg_permit = models.CharField(max_length=16, choices=Permit.choices, blank=True)
    ghg_permit_date = models.DateField(null=True)
    water_availability = models.CharField(
        max_length=16, choices=Permit.choices, blank=True
    )
    water_availability_date = models.DateField(null=True)
    meets_planning_6_9_1 = models.DateField(null=True)
    meets_all_planning_6_9 = models.DateField(null=True)
    meets_qsa_prerequisites = models.DateField(null=True)
    construction_start = models.DateField(null=True)
    construction_end = models.DateField(null=True)
    model_ready = models.DateField(null=True)
    approved_for_energization = models.DateField(null=True)
    approved_for_synchronization = models.DateField(null=True)
    approved_for_commercial_operation = models.DateField(null=True)
    inactive_date = models.DateField(null=True)
    cancelled_date = models.DateField(null=True)
    unknown_date_fields = models.JSONField(default=list, blank=True)

    report_month = models.DateField(help_text="First day of the latest report month")
    # When report_month last moved: it is shown, so a conditional GET's
    # Last-Modified must account for it although it is not a change.
    report_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField(db_index=True)

    objects = GinrQuerySet.as_manager()

    class Meta:
        ordering = ["inr"]
        verbose_name = "GINR"
        verbose_name_plural = "GINRs"

    def __str__(self):
        return self.inr


class Assignment(models.Model):
    """A TSP's role on a GINR."""

    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary TSP"
        OTHER = "other", "Other TSP"

    ginr = models.ForeignKey(Ginr, on_delete=models.CASCADE, related_name="assignments")
    tdsp = models.ForeignKey(Tdsp, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=8, choices=Role.choices)
    source = models.CharField(
        max_length=200, help_text="Where the assignment came from"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ginr", "role", "tdsp__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tdsp", "ginr"], name="assignment_one_role_per_tdsp"
            ),
            models.UniqueConstraint(
                fields=["ginr"],
                condition=Q(role="primary"),
                name="assignment_one_primary_per_ginr",
            ),
        ]

    def __str__(self):
        return f"{self.ginr_id} {self.tdsp_id} {self.role}"


class ReportImport(models.Model):
    """One GIS workbook applied to the database."""

    report_month = models.DateField()
    file_name = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(help_text="Data rows read per sheet")
    created = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField()
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self):
        return f"{self.report_month:%Y-%m} ({self.file_name})"


class ChangeEventQuerySet(models.QuerySet):
    def visible_to(self, tdsp_id):
        """The events a TSP may see: those recorded while it was assigned.

        A TSP assigned to a GINR later sees its 'assigned' event and what
        follows, not what happened before; after its 'unassigned' event it
        sees nothing more of that GINR.
        """
        periods = AssignmentPeriod.objects.filter(
            ginr_id=models.OuterRef("ginr_id"),
            tdsp_id=tdsp_id,
            assigned_event_id__lte=models.OuterRef("id"),
        ).filter(
            Q(unassigned_event_id__isnull=True)
            | Q(unassigned_event_id__gte=models.OuterRef("id"))
        )
        return self.filter(models.Exists(periods))


class ChangeEvent(models.Model):
    """One change to a GINR, in the order the imports recorded them.

    An explicit table rather than a history library: the change feed needs a
    single ordered sequence of events of several kinds (a GINR created, a
    field or its status changed, a TSP assigned or unassigned) that a
    client can follow with one cursor, and the old and new value of each
    field as the report published it. Rows are only ever inserted, by the
    services in ginr.services, under a lock that makes the order of their
    ids the order in which they became visible (see services.changes_lock).
    """

    class Kind(models.TextChoices):
        CREATED = "created", "GINR created"
        FIELD_CHANGED = "field_changed", "Field changed"
        STATUS_CHANGED = "status_changed", "Status changed"
        ASSIGNED = "assigned", "TSP assigned"
        UNASSIGNED = "unassigned", "TSP unassigned"

    ginr = models.ForeignKey(Ginr, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    field = models.CharField(max_length=64, blank=True)
    # JSON values as the API shows them: ISO dates, decimals as text, and
    # "unknown" for ERCOT's reached-on-an-unknown-date marker.
    old_value = models.JSONField(null=True)
    new_value = models.JSONField(null=True)
    # The TSP an assignment event is about.
    tdsp = models.ForeignKey(
        Tdsp, null=True, on_delete=models.PROTECT, related_name="+"
    )
    report_month = models.DateField(
        null=True, help_text="The GIS report month the change came from"
    )
    recorded_at = models.DateTimeField(db_index=True)

    objects = ChangeEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["ginr", "id"], name="changeevent_ginr_id")]

    def __str__(self):
        return f"{self.id} {self.ginr_id} {self.kind} {self.field}"


class AssignmentPeriod(models.Model):
    """When a TSP was assigned to a GINR, as a range of change events.

    It scopes the change feed: a TSP sees a GINR's events from its
    'assigned' event up to and including its 'unassigned' event.
    """

    ginr = models.ForeignKey(
        Ginr, on_delete=models.CASCADE, related_name="assignment_periods"
    )
    tdsp = models.ForeignKey(Tdsp, on_delete=models.PROTECT, related_name="+")
    assigned_event = models.ForeignKey(
        ChangeEvent, on_delete=models.CASCADE, related_name="+"
    )
    unassigned_event = models.ForeignKey(
        ChangeEvent, null=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ginr", "tdsp"],
                condition=Q(unassigned_event__isnull=True),
                name="assignmentperiod_one_open_per_tdsp",
            )
        ]
        indexes = [
            models.Index(fields=["ginr", "tdsp"], name="assignmentperiod_ginr_tdsp")
        ]

    def __str__(self):
        return f"{self.ginr_id} {self.tdsp_id} {self.assigned_event_id}"
