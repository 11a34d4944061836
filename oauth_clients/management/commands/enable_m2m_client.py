from django.core.management.base import BaseCommand

from oauth_clients.management import client_by_id
from oauth_clients.services import client_set_active


class Command(BaseCommand):
    help = "Let a disabled client ask for tokens again."

    def add_arguments(self, parser):
        parser.add_argument("client_id")

    def handle(self, *args, client_id, **options):
        client = client_set_active(client=client_by_id(client_id), active=True)
        self.stdout.write(f"{client}: {'enabled' if client.active else 'disabled'}.")
