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
        assignments: the single read is the API's hottest path. Returns None
        when the GINR does not exist or is not assigned to the TSP.
        """
        rows = list(
            Assignment.objects.filter(
                ginr__in=self.visible_to(tdsp_id).filter(**lookup).values("pk")
            )
            .select_related("ginr", "tdsp")
            .order_by("role", "tdsp__code")
        )
        if not rows:
            return None
        ginr = rows[0].ginr
        ginr.role = next(row.role for row in rows if row.tdsp_id == tdsp_id)
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
