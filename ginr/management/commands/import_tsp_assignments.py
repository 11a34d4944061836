from pathlib import Path

from django.core.management.base import BaseCommand

from ginr.csv_files import read_csv
from ginr.services import assignments_import

COLUMNS = {"inr", "tsp_code_latest", "tsp_codes_all"}


class Command(BaseCommand):
    help = (
        "Assign GINRs to TSPs from an INR-to-TSP mapping (inr, tsp_code_latest, "
        "tsp_codes_all): the latest TSP is primary, the others are 'other'."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path, **options):
        rows = read_csv(path, COLUMNS)
        summary = assignments_import(rows=rows)
        self.stdout.write(
            summary.line(f"TSP assignments ({path.name}, {len(rows)} rows)")
        )
