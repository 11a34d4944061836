from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from oauth_clients.management import client_by_id
from oauth_clients.management.credentials import write_credentials
from oauth_clients.services import DEFAULT_OVERLAP, ClientError, client_rotate_secret


class Command(BaseCommand):
    help = (
        "Give a client a new secret, printed this once. The old secret keeps "
        "working for --overlap-days (default 7; 0 stops it at once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("client_id")
        parser.add_argument(
            "--overlap-days", type=int, default=DEFAULT_OVERLAP.days, dest="days"
        )
        parser.add_argument(
            "--expires", help="When the new secret expires (ISO 8601, UTC if no zone)"
        )
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, client_id, days, expires, as_json, **options):
        expires_at = None
        if expires:
            expires_at = parse_datetime(expires)
            if expires_at is None:
                raise CommandError(f"--expires {expires!r} is not an ISO 8601 time.")
        try:
            issued = client_rotate_secret(
                client=client_by_id(client_id),
                overlap=timedelta(days=days),
                secret_expires_at=expires_at,
            )
        except ClientError as error:
            raise CommandError(str(error)) from error

        client = issued.client
        until = client.previous_secret_valid_until
        old = (
            f"The old secret …{client.previous_secret_fingerprint} works until "
            f"{until:%Y-%m-%d %H:%M} UTC."
            if until
            else "The old secret no longer works."
        )
        write_credentials(
            self.stdout,
            issued,
            None
            if as_json
            else f"{old} Store the new secret now: it is not shown again.",
        )
