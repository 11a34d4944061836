"""Writes to the client registry, shared by the admin and management commands."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from oauth2_provider.generators import generate_client_secret

# The registry depends on the TSP list (every client belongs to one TSP); the
# GINR side never depends on the registry.
from ginr.models import Tdsp
from oauth_clients.models import M2MClient

logger = logging.getLogger(__name__)


class ClientError(Exception):
    """A client operation that cannot be done as asked; nothing was written."""


@dataclass(frozen=True)
class IssuedClient:
    client: M2MClient
    # The only copy of the secret in plain text: show it once, store it nowhere.
    secret: str


@transaction.atomic
def client_create(*, tdsp_code: str, name: str, scopes=None) -> IssuedClient:
    """Register a client for a TSP and generate its secret."""
    tdsp = Tdsp.objects.filter(code=tdsp_code).select_related("successor").first()
    if tdsp is None:
        raise ClientError(f"No TSP with code {tdsp_code!r}.")
    if not tdsp.active:
        hint = f"; issue it to {tdsp.successor.code}" if tdsp.successor else ""
        raise ClientError(f"TSP {tdsp.code} is not active{hint}.")
    scopes = list(dict.fromkeys(scopes or [settings.GINR_READ_SCOPE]))
    unknown = [
        scope for scope in scopes if scope not in settings.OAUTH2_PROVIDER["SCOPES"]
    ]
    if unknown:
        raise ClientError(f"Unknown scopes: {', '.join(unknown)}.")
    if not name.strip():
        raise ClientError("A client needs a name.")

    secret = generate_client_secret()
    client = M2MClient(
        name=name.strip(),
        tdsp=tdsp,
        client_type=M2MClient.CLIENT_CONFIDENTIAL,
        authorization_grant_type=M2MClient.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        allowed_scopes=" ".join(scopes),
    )
    client.full_clean()
    client.save()

    logger.info("Client created: client_id=%s tdsp=%s", client.client_id, tdsp.code)
    return IssuedClient(client=client, secret=secret)
