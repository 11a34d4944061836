import csv

from django.core.management.base import CommandError


def read_csv(path, required_columns):
    """Rows of a UTF-8 CSV file with a header, refusing one missing a column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = required_columns - set(reader.fieldnames or [])
            if missing:
                raise CommandError(
                    f"{path.name}: expected the columns "
                    f"{', '.join(sorted(required_columns))}; missing "
                    f"{', '.join(sorted(missing))}. Nothing was imported."
                )
            return [
                {key: value or "" for key, value in row.items() if key}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CommandError(f"Cannot read {path} as CSV: {error}") from error
