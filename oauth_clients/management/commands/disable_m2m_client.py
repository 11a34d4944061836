from django.core.management.base import BaseCommand

from oauth_clients.management import client_by_id
from oauth_clients.services import client_set_active


class Command(BaseCommand):
    help = "Disable a client: no new tokens, and its live tokens are refused."

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, client_id, **options):
        client = client_set_active(client=client_by_id(client_id), active=False)
        self.stdout.write(f"{client}: {'enabled' if client.active else 'disabled'}.")
