from django.core.management.base import BaseCommand

from oauth_clients.management import client_by_id
from oauth_clients.services import client_revoke_tokens


class Command(BaseCommand):
    help = "Revoke every live token of a client at once; it may ask for new ones."

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, client_id, **options):
        count = client_revoke_tokens(client=client_by_id(client_id))
        self.stdout.write(f"{count} live token(s) revoked.")
