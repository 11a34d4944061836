from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oauth_clients.services import ClientError, audit_logs_purge


class Command(BaseCommand):
    help = (
        "Delete token events, credential events and access records older than "
        "--older-than days (default AUDIT_RETENTION_DAYS), and record the purge."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            dest="days",
            default=None,
            help="Days to keep (default: settings.AUDIT_RETENTION_DAYS)",
        )

    def handle(self, *args, days, **options):
        days = days if days is not None else settings.AUDIT_RETENTION_DAYS
        try:
            deleted = audit_logs_purge(older_than_days=days)
        except ClientError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Purged rows older than {days} days: "
            + ", ".join(f"{name} {count}" for name, count in deleted.items())
        )
