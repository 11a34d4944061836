from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oauth_clients.management.credentials import write_credentials
from oauth_clients.models import M2MClient
from oauth_clients.services import ClientError, client_create


class Command(BaseCommand):
    help = (
        "Register a machine client for a TSP and print its client_id and secret. "
        "The secret is shown this once and cannot be recovered."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tdsp", required=True, help="TSP code, e.g. AEP_TEXAS")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            help="Scope to grant (repeatable); default ginr:read",
        )
        parser.add_argument(
            "--token-seconds",
            type=int,
            default=3600,
            help="Token lifetime, 60 to 3600 seconds (default 3600)",
        )
        parser.add_argument("--contact", default="", help="Technical contact e-mail")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print one JSON object with client_id and client_secret",
        )
        parser.add_argument(
            "--unless-exists",
            action="store_true",
            help="Do nothing if the TSP already has a client of this name",
        )

    def handle(
        self,
        *args,
        tdsp,
        name,
        scopes,
        token_seconds,
        contact,
        as_json,
        unless_exists,
        **options,
    ):
        existing = M2MClient.objects.filter(tdsp__code=tdsp, name=name.strip()).first()
        if unless_exists and existing:
            self.stdout.write(
                f"Client {existing.name!r} for {tdsp} exists (client_id "
                f"{existing.client_id}); its secret was shown when it was created."
            )
            return

        try:
            issued = client_create(
                tdsp_code=tdsp,
                name=name,
                scopes=scopes,
                access_token_seconds=token_seconds,
                contact_email=contact,
            )
        except (ClientError, ValidationError) as error:
            raise CommandError(str(error)) from error

        client = issued.client
        write_credentials(
            self.stdout,
            issued,
            None
            if as_json
            else (
                f"Client {client.name!r} for {client.tdsp.code}, scopes "
                f"{client.allowed_scopes}. Store the secret now: it is kept only "
                "as a hash and is not shown again."
            ),
        )
