import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, tdsp, name, scopes, as_json, unless_exists, **options):
        existing = M2MClient.objects.filter(tdsp__code=tdsp, name=name.strip()).first()
        if unless_exists and existing:
            self.stdout.write(
                f"Client {existing.name!r} for {tdsp} exists (client_id "
                f"{existing.client_id}); its secret was shown when it was created."
            )
            return

        try:
            issued = client_create(tdsp_code=tdsp, name=name, scopes=scopes)
        except (ClientError, ValidationError) as error:
            raise CommandError(str(error)) from error

        client = issued.client
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"client_id": client.client_id, "client_secret": issued.secret}
                )
            )
            return
        # Lines a shell can take as they are: paste them to set both.
        self.stdout.write(
            f"Client {client.name!r} for {client.tdsp.code}, scopes "
            f"{client.allowed_scopes}. Store the secret now: it is kept only as a "
            "hash and is not shown again.\n"
            f"CLIENT_ID={client.client_id}\n"
            f"CLIENT_SECRET={issued.secret}"
        )
