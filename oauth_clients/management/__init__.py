from django.core.management.base import CommandError

from oauth_clients.models import M2MClient


def client_by_id(client_id: str) -> M2MClient:
    client = M2MClient.objects.filter(client_id=client_id).first()
    if client is None:
        raise CommandError(f"No client with client_id {client_id!r}.")
    return client
