"""Writes to the RIOO data. Management commands and tests share these."""

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ginr.importers.gis_report import UNKNOWN, GisReport
from ginr.models import (
    Assignment,
    AssignmentPeriod,
    ChangeEvent,
    Ginr,
    ReportImport,
    Tdsp,
)

logger = logging.getLogger(__name__)

PUCT_35077_SOURCE = "PUCT Control No. 35077 interconnection agreement filings"

# The fields a GIS report row sets; report_month, status and the dates from the
# status sheets are handled on their own.
PROJECT_FIELDS = [
    "size",
    "project_name",
    "interconnecting_entity",
    "poi_location",
    "county",
    "cdr_zone",
    "fuel",
    "technology",
    "capacity_mw",
    "projected_cod",
    "change_indicators",
    "comment",
    "study_phase",
    "screening_study",
    "full_study",
    "agreement",
    "site_control_approved",
    "screening_study_started",
    "screening_study_completed",
    "fis_requested",
    "fis_approved",
    "economic_study_required",
    "ia_signed",
    "financial_security_provided",
    "air_permit",
    "air_permit_date",
    "ghg_permit",
    "ghg_permit_date",
    "water_availability",
    "water_availability_date",
    "meets_planning_6_9_1",
    "meets_all_planning_6_9",
    "meets_qsa_prerequisites",
    "construction_start",
    "construction_end",
    "model_ready",
    "approved_for_energization",
    "approved_for_synchronization",
]
NULLABLE_FIELDS = {f.name for f in Ginr._meta.get_fields() if getattr(f, "null", False)}
STATUS_FIELDS = [
    "status",
    "approved_for_commercial_operation",
    "inactive_date",
    "cancelled_date",
]
CHANGE_FIELDS = [*PROJECT_FIELDS, *STATUS_FIELDS, "unknown_date_fields"]
COMMISSIONING_STATUS = {
    "approved_for_commercial_operation": Ginr.Status.COMMERCIAL_OPERATION,
}
# When a GINR is in several sheets, the later stage of its life wins.
STATUS_RANK = {
    Ginr.Status.ACTIVE: 0,
    Ginr.Status.INACTIVE: 1,
    Ginr.Status.COMMERCIAL_OPERATION: 2,
    Ginr.Status.CANCELLED: 3,
}


# Any constant shared by every process of this service; "ginr" in ASCII.
CHANGES_LOCK_KEY = 0x67696E72


def changes_lock():
    """Serialise the transactions that record change events, until commit.

    The change feed's cursor is an event id: "after N". PostgreSQL draws an id
    from its sequence when a row is inserted, not when the transaction
    commits, so two imports running at once could commit ids 11-20 while
    ids 1-10 are still invisible; a client that read up to 20 in between
    would never see 1-10. Every service that records events takes this
    transaction-scoped advisory lock before it draws its first id and keeps
    it until it commits, so ids become visible in their own order and a
    cursor never skips a late commit; readers take no lock and see only
    committed events. SQLite lets one transaction write at a time anyway.
    Call it inside transaction.atomic.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGES_LOCK_KEY])


def change_value(value, unknown=False):
    """A field value as change events and the API show it."""
    if unknown:
        return "unknown"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return value


def _change_values(snapshot):
    unknown = set(snapshot["unknown_date_fields"])
    return {
        name: change_value(snapshot[name], name in unknown)
        for name in CHANGE_FIELDS
        if name != "unknown_date_fields"
    }


def _field_events(ginr, before, after, *, month, now):
    old, new = _change_values(before), _change_values(after)
    return [
        ChangeEvent(
            ginr=ginr,
            kind=(
                ChangeEvent.Kind.STATUS_CHANGED
                if name == "status"
                else ChangeEvent.Kind.FIELD_CHANGED
            ),
            field=name,
            old_value=old[name],
            new_value=new[name],
            report_month=month,
            recorded_at=now,
        )
        for name in old
        if old[name] != new[name]
    ]


class ImportRefused(Exception):
    """An import that would lose or corrupt data; nothing was written."""


class OlderReport(ImportRefused):
    """A report older than the latest imported one."""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    notes: list = field(default_factory=list)

    def line(self, what):
        text = (
            f"{what}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.skipped} skipped"
        )
        return "; ".join([text, *self.notes])


def _set_value(ginr, name, value):
    """Set a field, keeping ERCOT's unknown-date marker out of the date."""
    unknown = set(ginr.unknown_date_fields)
    if value is UNKNOWN:
        unknown.add(name)
        value = None
    else:
        unknown.discard(name)
    ginr.unknown_date_fields = sorted(unknown)
    setattr(ginr, name, value)


def _blank(name):
    return None if name in NULLABLE_FIELDS else ""


def _unsaved_copy(ginr):
    return Ginr(
        **{
            field.attname: getattr(ginr, field.attname)
            for field in Ginr._meta.concrete_fields
            if not field.primary_key
        }
    )


def _snapshot(ginr):
    return {name: getattr(ginr, name) for name in CHANGE_FIELDS}


@transaction.atomic
def gis_report_apply(*, report: GisReport, file_name: str, sha256: str):
    """Apply a parsed GIS report: create, update or leave each GINR in it.

    Every new GINR and every changed field is recorded as a ChangeEvent.
    """
    changes_lock()
    latest = ReportImport.objects.order_by("-report_month").first()
    if latest and report.month < latest.report_month:
        raise OlderReport(
            f"The report for {report.month:%Y-%m} is older than the latest "
            f"imported report ({latest.report_month:%Y-%m}); import months in order."
        )

    now = timezone.now()
    summary = ImportSummary()
    inrs = {
        row["inr"]
        for rows in (
            report.large,
            report.small,
            report.commissioning,
            report.inactive,
            report.cancelled,
        )
        for row in rows
    }
    existing = {ginr.inr: ginr for ginr in Ginr.objects.filter(inr__in=inrs)}
    before = {inr: _snapshot(ginr) for inr, ginr in existing.items()}
    ginrs = dict(existing)

    def ginr_for(row, status):
        ginr = ginrs.get(row["inr"])
        if ginr is None:
            ginr = Ginr(
                inr=row["inr"],
                size=row["size"],
                status=status,
                report_month=report.month,
                report_seen_at=now,
                created_at=now,
                modified_at=now,
            )
            ginrs[row["inr"]] = ginr
        return ginr

    ranked = set()
    duplicates, listed = set(), set()
    for size, rows in (
        (Ginr.Size.LARGE, report.large),
        (Ginr.Size.SMALL, report.small),
    ):
        for row in rows:
            if row["inr"] in listed:
                duplicates.add(row["inr"])
                summary.skipped += 1
                continue
            listed.add(row["inr"])
            row = {**row, "size": size}
            ginr = ginr_for(row, Ginr.Status.ACTIVE)
            for name in PROJECT_FIELDS:
                # Small-generator rows have no study-phase or permit columns.
                _set_value(ginr, name, row.get(name, _blank(name)))
            ginr.status = Ginr.Status.ACTIVE

    # The status sheets come after the project sheets: the later stage of a
    # GINR's life wins. A GINR known only from them gets the few project
    # fields they carry.
    status_rows = [
        *((row, Ginr.Status.INACTIVE, "inactive_date") for row in report.inactive),
        *((row, Ginr.Status.CANCELLED, "cancelled_date") for row in report.cancelled),
        *(
            (row, COMMISSIONING_STATUS.get(row["category"]), row["category"])
            for row in report.commissioning
        ),
    ]
    for row, status, date_field in status_rows:
        is_new = row["inr"] not in ginrs
        ginr = ginr_for(row, status or Ginr.Status.ACTIVE)
        if is_new:
            for name in ("project_name", "fuel", "county", "capacity_mw"):
                setattr(ginr, name, row[name])
        # Energization and synchronization dates are also project-sheet
        # columns; the project sheet's own value wins there.
        if status or getattr(ginr, date_field) is None:
            _set_value(ginr, date_field, row["date"])
        if status and (
            is_new
            or (ginr.inr not in listed and ginr.inr not in ranked)
            or STATUS_RANK[status] > STATUS_RANK[ginr.status]
        ):
            ginr.status = status
            ranked.add(ginr.inr)

    to_create, to_update, events = [], [], []
    for inr, ginr in ginrs.items():
        if inr not in existing:
            to_create.append(ginr)
            continue
        after = _snapshot(ginr)
        if after != before[inr]:
            ginr.modified_at = now
            to_update.append(ginr)
            events += _field_events(
                ginr, before[inr], after, month=report.month, now=now
            )
        else:
            summary.unchanged += 1
    Ginr.objects.bulk_create(to_create, batch_size=500)
    # An upsert on the INR, not bulk_update: bulk_update's CASE per field and
    # row takes seconds a month to build, which replaying the history cannot
    # afford.
    Ginr.objects.bulk_create(
        [_unsaved_copy(ginr) for ginr in to_update],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["inr"],
        update_fields=[*CHANGE_FIELDS, "modified_at"],
    )
    events += [
        ChangeEvent(
            ginr=ginr,
            kind=ChangeEvent.Kind.CREATED,
            new_value={"inr": ginr.inr, "status": ginr.status},
            report_month=report.month,
            recorded_at=now,
        )
        for ginr in to_create
    ]
    ChangeEvent.objects.bulk_create(events, batch_size=1000)
    # Last seen in a report is bookkeeping, not a change to the GINR.
    Ginr.objects.filter(inr__in=inrs).exclude(report_month=report.month).update(
        report_month=report.month, report_seen_at=now
    )
    summary.created, summary.updated = len(to_create), len(to_update)
    if duplicates:
        summary.notes.append(
            f"repeated INRs, first row kept: {', '.join(sorted(duplicates))}"
        )

    if not ReportImport.objects.filter(
        report_month=report.month, sha256=sha256
    ).exists():
        ReportImport.objects.create(
            report_month=report.month,
            file_name=file_name,
            sha256=sha256,
            rows=report.rows,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    logger.info(
        "GIS report %s applied: created=%d updated=%d unchanged=%d",
        report.month,
        summary.created,
        summary.updated,
        summary.unchanged,
    )
    return summary


SUCCESSOR_PATTERN = re.compile(r"\bnow (?:part of )?(.+?)\)?\s*$", re.I)


@transaction.atomic
def tdsps_import(*, rows):
    """Create or update TSPs from rows of tsps.csv.

    A row whose entity type says "legacy" names its successor in its notes
    ("Legacy; now part of AEP Texas Inc."); it is kept, inactive, pointing at
    the successor so that assignments to it resolve to the successor.
    """
    summary = ImportSummary()

    def name_key(name):
        return name.strip().rstrip(".").casefold()

    by_name = {name_key(row["name"]): row["code"].strip() for row in rows}
    wanted = {}
    for row in rows:
        code = row["code"].strip()
        legacy = "legacy" in row["entity_type"].casefold()
        successor = None
        if legacy:
            match = SUCCESSOR_PATTERN.search(row["notes"])
            successor = match and by_name.get(name_key(match.group(1)))
            if not successor:
                raise ImportRefused(
                    f"TSP {code} is marked legacy but its notes name no known "
                    f"successor: {row['notes']!r}"
                )
        wanted[code] = {
            "name": row["name"].strip(),
            "kind": row["entity_type"].strip(),
            "active": not legacy,
            "notes": row["notes"].strip(),
            "successor_code": successor,
        }

    existing = {tdsp.code: tdsp for tdsp in Tdsp.objects.select_related("successor")}
    for code, values in wanted.items():
        tdsp = existing.get(code) or Tdsp(code=code)
        current = {
            "name": tdsp.name,
            "kind": tdsp.kind,
            "active": tdsp.active if tdsp.pk else None,
            "notes": tdsp.notes,
        }
        plain = {key: value for key, value in values.items() if key != "successor_code"}
        if tdsp.pk and current == plain:
            summary.unchanged += 1
            continue
        for key, value in plain.items():
            setattr(tdsp, key, value)
        if tdsp.pk:
            summary.updated += 1
        else:
            summary.created += 1
        tdsp.save()
        existing[code] = tdsp

    for code, values in wanted.items():
        tdsp = existing[code]
        successor = existing.get(values["successor_code"])
        if tdsp.successor_id != (successor.pk if successor else None):
            tdsp.successor = successor
            tdsp.save(update_fields=["successor", "modified_at"])
    return summary


def _roles(ginr_id):
    return dict(
        Assignment.objects.filter(ginr_id=ginr_id).values_list("tdsp_id", "role")
    )


def assignment_changes_record(*, ginr_id, before, after, now):
    """Record how a GINR's TSP roles went from before to after.

    before and after map TSP id to role. A TSP that gains the GINR gets an
    'assigned' event that opens its AssignmentPeriod; one that loses it gets
    an 'unassigned' event that closes it; a changed role is an 'assigned'
    event with the old and new role. The GINR's modified_at moves on, since
    its assignments are part of what the API shows, so tdspList's
    modifiedSince finds every GINR the feed reports. Call it inside
    transaction.atomic after changes_lock().
    """
    # Losses first: a TSP that loses the GINR sees its own 'unassigned' as
    # its last event, and one that gains it sees its 'assigned' first.
    changed = sorted(
        (
            tdsp_id
            for tdsp_id in before.keys() | after.keys()
            if before.get(tdsp_id) != after.get(tdsp_id)
        ),
        key=lambda tdsp_id: (tdsp_id in after, tdsp_id in before, tdsp_id),
    )
    if not changed:
        return 0

    for tdsp_id in changed:
        old, new = before.get(tdsp_id), after.get(tdsp_id)
        event = ChangeEvent.objects.create(
            ginr_id=ginr_id,
            kind=(
                ChangeEvent.Kind.UNASSIGNED
                if new is None
                else ChangeEvent.Kind.ASSIGNED
            ),
            field="role",
            old_value=old,
            new_value=new,
            tdsp_id=tdsp_id,
            recorded_at=now,
        )
        if old is None:
            AssignmentPeriod.objects.create(
                ginr_id=ginr_id, tdsp_id=tdsp_id, assigned_event=event
            )
        elif new is None:
            AssignmentPeriod.objects.filter(
                ginr_id=ginr_id, tdsp_id=tdsp_id, unassigned_event__isnull=True
            ).update(unassigned_event=event)

    Ginr.objects.filter(pk=ginr_id).update(modified_at=now)
    return len(changed)


@transaction.atomic
def assignments_import(*, rows, source=PUCT_35077_SOURCE):
    """Set the TSP assignments of the INRs in rows of inr_primary_tsp.csv.

    The TSP on the latest agreement filing is primary; every other TSP seen on
    the INR's filings is "other". Legacy TSPs resolve to their successor. Rows
    for INRs not in the database, or naming unknown TSPs, are skipped.
    Assignments from other sources are left alone.
    """
    changes_lock()
    now = timezone.now()
    summary = ImportSummary()
    tdsps = {tdsp.code: tdsp for tdsp in Tdsp.objects.all()}
    by_id = {tdsp.pk: tdsp for tdsp in tdsps.values()}

    def resolve(code):
        tdsp = tdsps.get(code.strip())
        while tdsp is not None and tdsp.successor_id:
            tdsp = by_id[tdsp.successor_id]
        return tdsp

    ginr_ids = dict(
        Ginr.objects.filter(inr__in=[row["inr"] for row in rows]).values_list(
            "inr", "id"
        )
    )
    current = {}
    for assignment in Assignment.objects.filter(
        ginr_id__in=ginr_ids.values(), source=source
    ):
        current.setdefault(assignment.ginr_id, {})[assignment.tdsp_id] = assignment

    unknown_inrs, no_code, unknown_codes = 0, 0, set()
    for row in rows:
        ginr_id = ginr_ids.get(row["inr"].strip())
        primary = resolve(row["tsp_code_latest"])
        codes = [code for code in row["tsp_codes_all"].split(";") if code.strip()]
        if ginr_id is None or primary is None:
            summary.skipped += 1
            if ginr_id is None:
                unknown_inrs += 1
            elif not row["tsp_code_latest"].strip():
                no_code += 1
            else:
                unknown_codes.add(row["tsp_code_latest"].strip())
            continue

        wanted = {primary.pk: Assignment.Role.PRIMARY}
        for code in codes:
            tdsp = resolve(code)
            if tdsp is None:
                unknown_codes.add(code.strip())
            elif tdsp.pk not in wanted:
                wanted[tdsp.pk] = Assignment.Role.OTHER

        have = current.get(ginr_id, {})
        if {tdsp_id: a.role for tdsp_id, a in have.items()} == wanted:
            summary.unchanged += 1
            continue
        # Another source may already hold this TSP's row on the GINR, or the
        # GINR's primary: then this source's rows stay as they are, and the
        # row is skipped. Otherwise they are replaced as a whole.
        others = Assignment.objects.filter(ginr_id=ginr_id).exclude(source=source)
        if others.filter(
            Q(tdsp_id__in=wanted) | Q(role=Assignment.Role.PRIMARY)
        ).exists():
            summary.skipped += 1
            continue
        roles_before = _roles(ginr_id)
        Assignment.objects.filter(ginr_id=ginr_id, source=source).delete()
        Assignment.objects.bulk_create(
            Assignment(ginr_id=ginr_id, tdsp_id=tdsp_id, role=role, source=source)
            for tdsp_id, role in wanted.items()
        )
        if have:
            summary.updated += 1
        else:
            summary.created += 1
        assignment_changes_record(
            ginr_id=ginr_id, before=roles_before, after=_roles(ginr_id), now=now
        )

    if unknown_inrs:
        summary.notes.append(f"{unknown_inrs} INRs not in the GINR table")
    if no_code:
        summary.notes.append(f"{no_code} rows without a TSP code")
    if unknown_codes:
        summary.notes.append(f"unknown TSP codes: {', '.join(sorted(unknown_codes))}")
    return summary
