from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ginr.csv_files import read_csv
from ginr.services import ImportRefused, tdsps_import

COLUMNS = {"code", "name", "entity_type", "notes"}


class Command(BaseCommand):
    help = "Create or update the TSP/TDSP reference list from a tsps.csv file."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        rows = read_csv(path, COLUMNS)
        try:
            summary = tdsps_import(rows=rows)
        except ImportRefused as error:
            raise CommandError(f"{error} Nothing was imported.") from error
        self.stdout.write(summary.line(f"TSPs ({path.name}, {len(rows)} rows)"))
