"""Read the stacked history of ERCOT's monthly GIS reports, one month at a time.

The history table (data/ercot/gis_monthly_*.csv.gz) holds one row per INR per
report month, with the third party's own camelCase column names; a row merges
what the workbook spreads over its sheets. read_gis_history turns each month
into the GisReport that read_gis_report would have produced from that month's
workbook, so services.gis_report_apply replays the history through the same
code as a monthly import. Parsing touches no database.
"""

import csv
import datetime as dt
import gzip
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import InvalidOperation
from functools import lru_cache
from pathlib import Path

from ginr.importers import gis_report as gis
from ginr.importers.gis_report import GisReport, GisReportError

MONTH_COLUMN = "fileDate"
# Older reports number a few split or re-studied projects beyond the workbook's
# pattern (13INR0010def, 14INR0048_1, 20INR0034_ES); they are kept as
# published. A trailing footnote mark (22INR0373***) is not part of the INR.
HISTORY_INR = re.compile(r"^\d{2}INR\d{4}[A-Za-z0-9_]{0,6}$")
HISTORY_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T][\d:.]+)?$")

# (history column, GisReport field, parser kind) of the project sheets' rows.
PROJECT_COLUMNS = [
    ("INR", "inr", "inr"),
    ("projectName", "project_name", "text"),
    ("ginrStudyPhase", "study_phase", "phase"),
    ("interconnectingFacility", "interconnecting_entity", "text"),
    ("poiLocation", "poi_location", "text"),
    ("county", "county", "text"),
    ("cdrReportingZone", "cdr_zone", "text"),
    ("projectCod", "projected_cod", "date"),
    ("fuel", "fuel", "fuel"),
    ("technology", "technology", "text"),
    ("capacityMw", "capacity_mw", "decimal"),
    ("changeIndicators", "change_indicators", "text"),
    ("approvalDateForSubmissionOfProofOfSiteControl", "site_control_approved", "date"),
    ("screeningStudyStarted", "screening_study_started", "date"),
    ("screeningStudyComplete", "screening_study_completed", "date"),
    ("fisRequested", "fis_requested", "date"),
    ("fisApproved", "fis_approved", "date"),
    ("economyStudyRequired", "economic_study_required", "yes_no"),
    ("iaSigned", "ia_signed", "date"),
    (
        "financialSecurityAndNoticeToProceedProvided",
        "financial_security_provided",
        "yes_no",
    ),
    ("airPermit", "air_permit", "permit"),
    ("ghgPermit", "ghg_permit", "permit"),
    ("waterAvailability", "water_availability", "permit"),
    ("meetsSection691", "meets_planning_6_9_1", "date"),
    ("meetsAllSection69", "meets_all_planning_6_9", "date"),
    ("MeetsQsa", "meets_qsa_prerequisites", "date"),
    ("constructionStart", "construction_start", "date"),
    ("constructionEnd", "construction_end", "date"),
    ("ApprovedForEnergization", "approved_for_energization", "date"),
    ("approvedForSynchronization", "approved_for_synchronization", "date"),
    ("comments", "comment", "text"),
]
# The small-generator sheet has the model-ready date and none of the study
# phase, study dates, economic study, permits or planning-guide columns.
SMALL_ONLY = gis.fields_of(gis.SMALL_GEN_COLUMNS) - gis.fields_of(gis.LARGE_GEN_COLUMNS)
LARGE_ONLY = gis.fields_of(gis.LARGE_GEN_COLUMNS) - gis.fields_of(gis.SMALL_GEN_COLUMNS)
REQUIRED_COLUMNS = {column for column, _, _ in PROJECT_COLUMNS} | {
    MONTH_COLUMN,
    "modelReadyDate",
    "isSmall",
    "commissioningCategory",
    "approvalDate",
    "approvedForCommercialOperation",
    "inActiveDate",
    "cancelDate",
}

# Older months spell fuels out, in any case, or name storage; the workbook's
# project sheets use ERCOT's codes, with batteries as OTH. Other spellings
# (GAS/CE, MWH) are kept as published.
HISTORY_FUELS = {
    **gis.FUEL_CODES,
    "bat": "OTH",
    "battery": "OTH",
    "storage": "OTH",
    "storage/battery": "OTH",
}


@dataclass
class HistoryMonth:
    report: GisReport
    # Digest of the month's rows, so replaying the same history again is
    # recognised as the same report.
    sha256: str


# A few thousand distinct dates recur over a million cells.
@lru_cache(maxsize=65536)
def _date(raw):
    raw = raw.strip()
    match = HISTORY_DATE.match(raw)
    if match:
        date = dt.date.fromisoformat(match.group(1))
        return gis.UNKNOWN if date == gis.UNKNOWN_DATE else date
    return gis._date(raw)


def _parse(kind, values, name, raw):
    if kind == "date":
        values[name] = _date(raw)
    elif kind == "fuel":
        text = raw.strip()
        values[name] = HISTORY_FUELS.get(text.casefold(), text.upper())
    elif kind == "permit":
        # The history adds Yes (obtained, date not kept) and No (required,
        # not obtained) to the workbook's date / Not Required / blank.
        text = raw.strip().casefold()
        if text == "yes":
            values[name], values[f"{name}_date"] = "obtained", None
        elif text == "no":
            values[name], values[f"{name}_date"] = "pending", None
        else:
            match = HISTORY_DATE.match(raw.strip())
            gis._parse_permit(values, name, match.group(1) if match else raw)
    else:
        gis._PARSERS[kind](values, name, raw if raw.strip() else None)


def _project_row(row, small):
    values = {}
    for column, name, kind in PROJECT_COLUMNS:
        _parse(kind, values, name, row[column])
    _parse("date", values, "model_ready", row["modelReadyDate"])
    dropped = LARGE_ONLY if small else SMALL_ONLY
    return {name: value for name, value in values.items() if name not in dropped}


def _status_row(row, size, date_column):
    values = {"inr": row["INR"].strip(), "size": size}
    _parse("text", values, "project_name", row["projectName"])
    _parse("fuel", values, "fuel", row["fuel"])
    _parse("text", values, "county", row["county"])
    _parse("decimal", values, "capacity_mw", row["capacityMw"])
    _parse("date", values, "date", row[date_column])
    return values


def _month_report(month, rows, sizes):
    report = GisReport(month=month)
    for row in rows:
        inr = row["INR"] = row["INR"].strip().rstrip("*")
        if not HISTORY_INR.match(inr):
            raise ValueError(f"expected an INR such as 23INR0368, found {inr!r}")
        # The workbook's status sheets give every row a size; the history
        # leaves it blank on a few status rows, so the INR's size in any other
        # month stands in (large if it was never listed).
        small = row["isSmall"] == "True"
        size = "small" if small else sizes.get(inr, "large")
        category = row["commissioningCategory"].strip().casefold()
        if row["cancelDate"].strip():
            report.cancelled.append(_status_row(row, size, "cancelDate"))
        elif row["inActiveDate"].strip():
            report.inactive.append(_status_row(row, size, "inActiveDate"))
        elif row["approvedForCommercialOperation"].strip():
            commissioned = _status_row(row, size, "approvedForCommercialOperation")
            commissioned["category"] = "approved_for_commercial_operation"
            report.commissioning.append(commissioned)
        else:
            # Energized and synchronized projects stay on the project sheets
            # and are also on the commissioning sheet. A revoked approval is
            # no approval.
            (report.small if small else report.large).append(_project_row(row, small))
            for words, milestone in gis.COMMISSIONING_CATEGORIES.items():
                if category.startswith(words):
                    commissioned = _status_row(row, size, "approvalDate")
                    commissioned["category"] = milestone
                    report.commissioning.append(commissioned)
    return report


def read_gis_history(path):
    """Parse the history into one HistoryMonth per report month, oldest first.

    Raises GisReportError for a file that is not the history table or holds a
    value that cannot be read.
    """
    path = Path(path)
    # Rows are kept as lists until their month is parsed: a dict per row
    # would need several times the memory.
    by_month, sizes = defaultdict(list), {}
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            missing = REQUIRED_COLUMNS - set(header)
            if missing:
                raise GisReportError(
                    f"{path.name} is not the GIS history table: missing the "
                    f"columns {', '.join(sorted(missing))}."
                )
            month_at, inr_at = header.index(MONTH_COLUMN), header.index("INR")
            small_at = header.index("isSmall")
            for number, values in enumerate(reader, start=2):
                if len(values) != len(header):
                    raise GisReportError(
                        f"{path.name} line {number}: expected {len(header)} "
                        f"columns, found {len(values)}."
                    )
                try:
                    month = dt.date.fromisoformat(values[month_at].strip()[:10])
                except ValueError as error:
                    raise GisReportError(
                        f"{path.name} line {number}: expected a report month in "
                        f"{MONTH_COLUMN}, found {values[month_at]!r}."
                    ) from error
                by_month[month.replace(day=1)].append(values)
                if values[small_at] in ("True", "False"):
                    inr = values[inr_at].strip().rstrip("*")
                    sizes[inr] = "small" if values[small_at] == "True" else "large"
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as error:
        raise GisReportError(
            f"{path.name} is not a gzip CSV file that can be read: {error}"
        ) from error

    months = []
    for month in sorted(by_month):
        rows = by_month.pop(month)
        try:
            report = _month_report(
                month,
                (dict(zip(header, values, strict=True)) for values in rows),
                sizes,
            )
        except (ValueError, InvalidOperation) as error:
            raise GisReportError(
                f"{path.name}, report month {month:%Y-%m}: {error}"
            ) from error
        digest = hashlib.sha256()
        for values in rows:
            digest.update("\x1f".join(values).encode())
            digest.update(b"\x1e")
        months.append(HistoryMonth(report=report, sha256=digest.hexdigest()))
    return months
