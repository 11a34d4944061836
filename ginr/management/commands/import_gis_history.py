import time
from collections import Counter, defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ginr.importers.gis_history import read_gis_history
from ginr.importers.gis_report import GisReportError
from ginr.models import ChangeEvent, ReportImport
from ginr.services import ImportRefused, gis_report_apply


class Command(BaseCommand):
    help = (
        "Replay the stacked history of ERCOT's monthly GIS reports (.csv.gz), "
        "month by month, through the same import as import_gis_report."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        started = time.monotonic()
        try:
            months = read_gis_history(path)
        except GisReportError as error:
            raise CommandError(f"{error} Nothing was imported.") from error

        latest = ReportImport.objects.order_by("-report_month").first()
        years = defaultdict(Counter)
        for month in months:
            report = month.report
            year = years[report.month.year]
            # Imports go forward only; a month before the latest imported one
            # was imported already (or is older than the data held).
            if latest and report.month < latest.report_month:
                year["skipped months"] += 1
                continue
            last_event = ChangeEvent.objects.order_by("-id").first()
            try:
                summary = gis_report_apply(
                    report=report,
                    file_name=f"{path.name} {report.month:%Y-%m}",
                    sha256=month.sha256,
                )
            except ImportRefused as error:
                raise CommandError(
                    f"{error} Months before {report.month:%Y-%m} were imported."
                ) from error
            year["months"] += 1
            year["created"] += summary.created
            year["updated"] += summary.updated
            year["changes"] += ChangeEvent.objects.filter(
                id__gt=last_event.id if last_event else 0
            ).count()

        for number, year in sorted(years.items()):
            self.stdout.write(
                f"{number}: {year['months']} months applied, "
                f"{year['skipped months']} skipped as already imported; "
                f"GINRs {year['created']} created, {year['updated']} updated; "
                f"{year['changes']} change events"
            )
        self.stdout.write(
            f"{len(months)} months read from {path.name} in "
            f"{time.monotonic() - started:.1f} s"
        )
