import hashlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ginr.importers.gis_report import GisReportError, read_gis_report
from ginr.services import ImportRefused, OlderReport, gis_report_apply


class Command(BaseCommand):
    help = "Import ERCOT's monthly GIS report workbook (.xlsx) as published."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--skip-if-older",
            action="store_true",
            help="Exit quietly, not with an error, if a newer month is imported",
        )

    def handle(self, *args, path, skip_if_older, **options):
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error

        try:
            report = read_gis_report(path)
            summary = gis_report_apply(
                report=report,
                file_name=path.name,
                sha256=hashlib.sha256(content).hexdigest(),
            )
        except OlderReport as error:
            if not skip_if_older:
                raise CommandError(f"{error} Nothing was imported.") from error
            self.stdout.write(f"Skipped {path.name}: {error}")
            return
        except (GisReportError, ImportRefused) as error:
            raise CommandError(f"{error} Nothing was imported.") from error

        rows = ", ".join(f"{sheet} {count}" for sheet, count in report.rows.items())
        self.stdout.write(
            summary.line(f"GIS report {report.month:%Y-%m} ({path.name})")
            + f" (rows read: {rows})"
        )
