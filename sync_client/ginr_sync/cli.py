"""ginr-sync: one sync run from the command line.

    GINR_CLIENT_ID=... GINR_CLIENT_SECRET=... ginr-sync --url https://... \\
        [--db ginr-sync.sqlite3] [--report changes.csv | changes.json]
"""

import argparse
import csv
import json
import logging
import os
import sys
from pathlib import Path

import httpx
from authlib.integrations.base_client.errors import OAuthError

from ginr_sync.client import Credentials, SyncError, as_rows, sync

COLUMNS = ["inr", "ginr_id", "project_name", "change", "field", "old", "new"]


def load_credentials(path=None, environ=os.environ):
    """client_id and secret from a JSON file, else from the environment.

    The file is what `manage.py create_m2m_client --json` prints:
    {"client_id": ..., "client_secret": ...}. Keep it readable only by you.
    """
    path = path or environ.get("GINR_CREDENTIALS_FILE")
    if path:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Credentials(data["client_id"], data["client_secret"])
    client_id = environ.get("GINR_CLIENT_ID")
    secret = environ.get("GINR_CLIENT_SECRET")
    if not client_id or not secret:
        raise SystemExit(
            "Set GINR_CLIENT_ID and GINR_CLIENT_SECRET, or give --credentials "
            "FILE (or GINR_CREDENTIALS_FILE) with client_id and client_secret."
        )
    return Credentials(client_id, secret)


def _text(value):
    return "" if value is None else str(value)


def table(changes):
    """The changes as a plain-text table for the terminal."""
    if not changes:
        return "No new GINRs and no key-field changes since the last run."
    rows = [[_text(row[column]) for column in COLUMNS] for row in as_rows(changes)]
    widths = [
        min(40, max(len(column), *(len(row[i]) for row in rows)))
        for i, column in enumerate(COLUMNS)
    ]

    def line(cells):
        return "  ".join(
            cell[:width].ljust(width) for cell, width in zip(cells, widths, strict=True)
        )

    return "\n".join(
        [line(COLUMNS), line(["-" * width for width in widths])]
        + [line(row) for row in rows]
    )


def write_report(changes, path, fmt):
    rows = as_rows(changes)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        if fmt == "json":
            json.dump(rows, handle, indent=2, default=str)
            handle.write("\n")
        else:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows({k: _text(v) for k, v in row.items()} for row in rows)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="ginr-sync",
        description="Fetch what changed in your TSP's GINRs since the last run.",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("GINR_API_URL", "http://127.0.0.1:8000"),
        help="the API's base URL (GINR_API_URL)",
    )
    parser.add_argument("--credentials", help="JSON file with client_id, secret")
    parser.add_argument(
        "--db",
        default=os.environ.get("GINR_SYNC_DB", "ginr-sync.sqlite3"),
        help="the local SQLite copy, cursor and token cache (GINR_SYNC_DB)",
    )
    parser.add_argument("--since", help="on the first run only: start at this ISO date")
    parser.add_argument("--report", help="also write the changes to this file")
    parser.add_argument(
        "--format",
        choices=["csv", "json"],
        help="report format (default: from the file name, else csv)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(message)s",
    )

    try:
        changes = sync(
            base_url=args.url,
            credentials=load_credentials(args.credentials),
            db_path=args.db,
            since=args.since,
        )
    except SyncError as error:
        print(f"ginr-sync: {error}", file=sys.stderr)
        return 1
    except OAuthError as error:
        # A refused token request: wrong client_id or secret, or a disabled
        # client. The message is the server's OAuth error code.
        print(f"ginr-sync: the token request was refused: {error}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"ginr-sync: cannot reach {args.url}: {error}", file=sys.stderr)
        return 1
    print(table(changes))
    if args.report:
        fmt = args.format or ("json" if args.report.endswith(".json") else "csv")
        write_report(changes, args.report, fmt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
