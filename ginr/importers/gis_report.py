"""Read ERCOT's monthly Generation Interconnection Status (GIS) workbook.

The workbook (data product PG7-200-ER) is read as published. Every column the
importer uses is checked against the header text ERCOT prints above it, so a
workbook whose layout moved is refused instead of being read into the wrong
fields. Parsing touches no database: services.gis_report_apply writes.
"""

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import openpyxl
from openpyxl.utils import column_index_from_string
from openpyxl.utils.exceptions import InvalidFileException

from ginr.models import Ginr

INR_PATTERN = re.compile(r"^\d{2}INR\d{4}[A-Za-z]?$")
# ERCOT's marker for a milestone reached on a date that was not migrated from
# the legacy GINR database.
UNKNOWN_DATE = dt.date(1900, 1, 1)
HEADER_SEARCH_ROWS = 60
HEADER_CONTINUATION_ROWS = 5

LARGE_GEN = "Project Details - Large Gen"
SMALL_GEN = "Project Details - Small Gen"
COMMISSIONING = "Commissioning Update"
INACTIVE = "Inactive Projects"
CANCELLATION = "Cancellation Update"
CONTENTS = "Contents"


class GisReportError(ValueError):
    """The file is not a GIS report in the layout ERCOT publishes."""


class Unknown:
    """A milestone reached on a date ERCOT does not know."""

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Column:
    letter: str
    header: str
    field: str
    kind: str = "text"

    @property
    def index(self):
        return column_index_from_string(self.letter) - 1


# Header texts are ERCOT's, with the lines of a multi-row header joined.
LARGE_GEN_COLUMNS = [
    Column("A", "INR", "inr", "inr"),
    Column("B", "Project Name", "project_name"),
    Column("C", "GIM Study Phase", "study_phase", "phase"),
    Column("D", "Interconnecting Entity", "interconnecting_entity"),
    Column("E", "POI Location", "poi_location"),
    Column("F", "County", "county"),
    Column("G", "CDR Reporting Zone", "cdr_zone"),
    Column("H", "Projected COD", "projected_cod", "date"),
    Column("I", "Fuel", "fuel"),
    Column("J", "Technology", "technology"),
    Column("K", "Capacity (MW)", "capacity_mw", "decimal"),
    Column("L", "Change indicators", "change_indicators"),
    Column(
        "M",
        "Approval Date for Submission of Proof of Site Control",
        "site_control_approved",
        "date",
    ),
    Column("N", "Screening Study Started", "screening_study_started", "date"),
    Column("O", "Screening Study Complete", "screening_study_completed", "date"),
    Column("P", "FIS Requested", "fis_requested", "date"),
    Column("Q", "FIS Approved", "fis_approved", "date"),
    Column("R", "Economic Study Required", "economic_study_required", "yes_no"),
    Column("S", "IA Signed", "ia_signed", "date"),
    Column(
        "T",
        "Financial Security and Notice to Proceed Provided",
        "financial_security_provided",
        "yes_no",
    ),
    Column("U", "Air Permit", "air_permit", "permit"),
    Column("V", "GHG Permit", "ghg_permit", "permit"),
    Column("W", "Water Availability", "water_availability", "permit"),
    Column(
        "X",
        "Meets Planning Guide Section 6.9(1) Requirements",
        "meets_planning_6_9_1",
        "date",
    ),
    Column(
        "Y",
        "Meets All Planning Guide Section 6.9 Requirements",
        "meets_all_planning_6_9",
        "date",
    ),
    Column(
        "Z",
        "Meets Planning Guide QSA (Section 5.9) Prerequisites",
        "meets_qsa_prerequisites",
        "date",
    ),
    Column("AA", "Construction Start", "construction_start", "date"),
    Column("AB", "Construction End", "construction_end", "date"),
    Column("AC", "Approved for Energization", "approved_for_energization", "date"),
    Column(
        "AD", "Approved for Synchronization", "approved_for_synchronization", "date"
    ),
    Column("AE", "Comment", "comment"),
]

SMALL_GEN_COLUMNS = [
    Column("A", "INR", "inr", "inr"),
    Column("B", "Project Name", "project_name"),
    Column("C", "Model Ready Date", "model_ready", "date"),
    Column("D", "Interconnecting Entity", "interconnecting_entity"),
    Column("E", "POI Location", "poi_location"),
    Column("F", "County", "county"),
    Column("G", "CDR Reporting Zone", "cdr_zone"),
    Column("H", "Projected COD", "projected_cod", "date"),
    Column("I", "Fuel", "fuel"),
    Column("J", "Technology", "technology"),
    Column("K", "Capacity (MW)", "capacity_mw", "decimal"),
    Column("L", "Change indicators", "change_indicators"),
    Column("M", "IA Signed", "ia_signed", "date"),
    Column(
        "N",
        "Financial Security Required to fund Dist. Upgrades",
        "financial_security_provided",
        "yes_no",
    ),
    Column("O", "Approved for Energization", "approved_for_energization", "date"),
    Column("P", "Approved for Synchronization", "approved_for_synchronization", "date"),
    Column("Q", "Comment", "comment"),
]

COMMISSIONING_COLUMNS = [
    Column("A", "Commissioning Category", "category", "commissioning"),
    Column("B", "INR", "inr", "inr"),
    Column("C", "Size Category", "size", "size"),
    Column("D", "Project Name", "project_name"),
    Column("E", "Fuel", "fuel", "fuel_word"),
    Column("F", "County", "county"),
    Column("G", "Approval Date", "date", "date"),
    Column("H", "MW", "capacity_mw", "decimal"),
]


def _status_columns(date_header):
    return [
        Column("A", "INR", "inr", "inr"),
        Column("B", "Size Category", "size", "size"),
        Column("C", "Project Name", "project_name"),
        Column("D", "Fuel", "fuel", "fuel_word"),
        Column("E", "County", "county"),
        Column("F", date_header, "date", "date"),
        Column("G", "MW", "capacity_mw", "decimal"),
    ]


INACTIVE_COLUMNS = _status_columns("Inactive Date")
CANCELLATION_COLUMNS = _status_columns("Cancel Date")

# The fields a column of each kind fills in a parsed row.
_FIELDS_OF_KIND = {
    "permit": lambda name: [name, f"{name}_date"],
    "phase": lambda name: [name, *(part for part, _, _ in STUDY_PHASE_PARTS)],
}


def fields_of(columns):
    """The row fields a sheet's columns fill."""
    return {
        field
        for column in columns
        for field in _FIELDS_OF_KIND.get(column.kind, lambda name: [name])(column.field)
    }


SHEETS = {
    LARGE_GEN: LARGE_GEN_COLUMNS,
    SMALL_GEN: SMALL_GEN_COLUMNS,
    COMMISSIONING: COMMISSIONING_COLUMNS,
    INACTIVE: INACTIVE_COLUMNS,
    CANCELLATION: CANCELLATION_COLUMNS,
}

# The status sheets spell fuels out; the project sheets use ERCOT's codes.
# Batteries are OTH in the project sheets.
FUEL_CODES = {
    "battery storage": "OTH",
    "biomass": "BIO",
    "coal": "COA",
    "fuel oil": "OIL",
    "gas": "GAS",
    "geothermal": "GEO",
    "hydro": "WAT",
    "hydrogen": "HYD",
    "nuclear": "NUC",
    "other": "OTH",
    "petroleum coke": "PET",
    "solar": "SOL",
    "wind": "WIN",
}

COMMISSIONING_CATEGORIES = {
    "energization": "approved_for_energization",
    "synchronization": "approved_for_synchronization",
    "commercial operation": "approved_for_commercial_operation",
}

STUDY_PHASE_PARTS = [
    (
        "screening_study",
        re.compile(r"\bSS\s+(Started|Completed)\b", re.I),
        {"started": "started", "completed": "completed"},
    ),
    (
        "full_study",
        re.compile(r"\bFIS\s+(Not Started|Started|Completed)\b", re.I),
        {"not started": "not_started", "started": "started", "completed": "completed"},
    ),
    (
        "agreement",
        re.compile(r"(?:^|,)\s*(No IA|IA)\s*$", re.I),
        {"ia": "signed", "no ia": "not_signed"},
    ),
]


@dataclass
class GisReport:
    month: dt.date
    large: list = field(default_factory=list)
    small: list = field(default_factory=list)
    commissioning: list = field(default_factory=list)
    inactive: list = field(default_factory=list)
    cancelled: list = field(default_factory=list)

    @property
    def rows(self):
        """Data rows read per sheet."""
        return {
            LARGE_GEN: len(self.large),
            SMALL_GEN: len(self.small),
            COMMISSIONING: len(self.commissioning),
            INACTIVE: len(self.inactive),
            CANCELLATION: len(self.cancelled),
        }


def read_gis_report(path):
    """Parse a GIS workbook into typed rows, or raise GisReportError."""
    path = Path(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        OSError,
        ValueError,
    ) as error:
        raise GisReportError(
            f"{path.name} is not an Excel workbook (.xlsx) that can be read ({error})."
        ) from error

    try:
        missing = [
            name for name in [CONTENTS, *SHEETS] if name not in workbook.sheetnames
        ]
        if missing:
            raise GisReportError(
                f"{path.name} is not an ERCOT GIS report: expected the sheets "
                f"{', '.join(repr(name) for name in [CONTENTS, *SHEETS])}; "
                f"missing {', '.join(repr(name) for name in missing)}."
            )

        report = GisReport(month=_report_month(workbook[CONTENTS]))
        report.large = _read_sheet(workbook[LARGE_GEN], LARGE_GEN_COLUMNS)
        report.small = _read_sheet(workbook[SMALL_GEN], SMALL_GEN_COLUMNS)
        report.commissioning = _read_sheet(
            workbook[COMMISSIONING], COMMISSIONING_COLUMNS
        )
        report.inactive = _read_sheet(workbook[INACTIVE], INACTIVE_COLUMNS)
        report.cancelled = _read_sheet(workbook[CANCELLATION], CANCELLATION_COLUMNS)
    finally:
        workbook.close()

    if not report.large:
        raise GisReportError(f"Sheet {LARGE_GEN!r} has no project rows.")
    return report


ACTIVITY_PATTERN = re.compile(
    r"GIM Activity:\s*([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})\s+to"
)


def _report_month(sheet):
    for row in sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True):
        for value in row:
            match = ACTIVITY_PATTERN.search(str(value or ""))
            if match:
                month_name, _, year = match.groups()
                start = dt.datetime.strptime(f"{month_name} 1 {year}", "%b %d %Y")
                return start.date()
    raise GisReportError(
        f"Sheet {CONTENTS!r}: expected a line 'GIM Activity: <Mon DD, YYYY> to "
        f"<Mon DD, YYYY>' naming the report month."
    )


def _normalise(text):
    return " ".join(str(text or "").split()).casefold()


def _read_sheet(sheet, columns):
    rows = list(sheet.iter_rows(values_only=True))
    inr_index = next(column.index for column in columns if column.kind == "inr")

    header_at = next(
        (
            number
            for number, row in enumerate(rows[:HEADER_SEARCH_ROWS])
            if len(row) > inr_index and _normalise(row[inr_index]) == "inr"
        ),
        None,
    )
    if header_at is None:
        letter = next(column.letter for column in columns if column.kind == "inr")
        raise GisReportError(
            f"Sheet {sheet.title!r}: expected a header row with 'INR' in column "
            f"{letter} within the first {HEADER_SEARCH_ROWS} rows."
        )

    # ERCOT wraps long headers over the rows below the header row; those rows
    # have nothing in the INR column.
    header_rows = [rows[header_at]]
    for row in rows[header_at + 1 : header_at + 1 + HEADER_CONTINUATION_ROWS]:
        if len(row) > inr_index and row[inr_index] not in (None, ""):
            break
        header_rows.append(row)
    for column in columns:
        found = _normalise(
            " ".join(
                str(row[column.index])
                for row in header_rows
                if len(row) > column.index and row[column.index] is not None
            )
        )
        if not found.startswith(_normalise(column.header)):
            raise GisReportError(
                f"Sheet {sheet.title!r}: expected {column.header!r} in column "
                f"{column.letter} of the header (row {header_at + 1}), found "
                f"{found!r}."
            )

    parsed = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        inr = row[inr_index] if len(row) > inr_index else None
        if inr is None or str(inr).strip() == "":
            continue
        inr = str(inr).strip()
        # Footnotes ("* For projects approved ...") follow the last project.
        if inr.startswith("*"):
            break
        if not INR_PATTERN.match(inr):
            raise GisReportError(
                f"Sheet {sheet.title!r} row {number}: expected an INR such as "
                f"23INR0368 in the INR column, found {inr!r}."
            )
        parsed.append(_parse_row(sheet.title, number, row, columns))
    return parsed


def _parse_row(sheet_title, number, row, columns):
    values = {}
    for column in columns:
        raw = row[column.index] if len(row) > column.index else None
        try:
            _PARSERS[column.kind](values, column.field, raw)
        except (ValueError, InvalidOperation) as error:
            raise GisReportError(
                f"Sheet {sheet_title!r} row {number} column {column.letter} "
                f"({column.header}): {error}"
            ) from error
    return values


def _text(raw):
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip()


def _date(raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    elif isinstance(raw, str):
        for layout in ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"):
            try:
                raw = dt.datetime.strptime(raw.strip(), layout).date()
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"expected a date, found {raw!r}")
    elif not isinstance(raw, dt.date):
        raise ValueError(f"expected a date, found {raw!r}")
    return UNKNOWN if raw == UNKNOWN_DATE else raw


def _parse_inr(values, name, raw):
    values[name] = str(raw).strip()


def _parse_text(values, name, raw):
    values[name] = _text(raw)


def _parse_date(values, name, raw):
    values[name] = _date(raw)


def _parse_decimal(values, name, raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        values[name] = None
    elif isinstance(raw, bool):
        raise ValueError(f"expected a number, found {raw!r}")
    else:
        # repr of a float is the shortest text that round-trips, so 162.1
        # stays 162.1 instead of 162.099999...
        values[name] = Decimal(repr(raw) if isinstance(raw, float) else str(raw))


def _parse_yes_no(values, name, raw):
    text = _normalise(raw)
    if text in ("yes", "y"):
        values[name] = True
    elif text in ("no", "n"):
        values[name] = False
    elif text == "":
        values[name] = None
    else:
        raise ValueError(f"expected Yes or No, found {raw!r}")


def _parse_permit(values, name, raw):
    if _normalise(raw) == "not required":
        status, date = Ginr.Permit.NOT_REQUIRED, None
    else:
        date = _date(raw)
        status = Ginr.Permit.PENDING if date is None else Ginr.Permit.OBTAINED
    values[name] = status.value
    values[f"{name}_date"] = date


def _parse_phase(values, name, raw):
    text = _text(raw)
    values[name] = text
    for part, pattern, choices in STUDY_PHASE_PARTS:
        match = pattern.search(text)
        values[part] = choices[_normalise(match.group(1))] if match else ""


def _parse_size(values, name, raw):
    text = _normalise(raw)
    if text not in ("large", "small"):
        raise ValueError(f"expected Large or Small, found {raw!r}")
    values[name] = text


def _parse_fuel_word(values, name, raw):
    text = _text(raw)
    values[name] = FUEL_CODES.get(_normalise(text), text.upper())


def _parse_commissioning(values, name, raw):
    text = _normalise(raw)
    for words, milestone in COMMISSIONING_CATEGORIES.items():
        if text.startswith(words):
            values[name] = milestone
            return
    raise ValueError(
        f"expected Energization, Synchronization or Commercial Operation, found {raw!r}"
    )


_PARSERS = {
    "inr": _parse_inr,
    "text": _parse_text,
    "date": _parse_date,
    "decimal": _parse_decimal,
    "yes_no": _parse_yes_no,
    "permit": _parse_permit,
    "phase": _parse_phase,
    "size": _parse_size,
    "fuel_word": _parse_fuel_word,
    "commissioning": _parse_commissioning,
}
