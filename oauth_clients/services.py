"""Writes to the client registry and the audit logs.

The admin and the management commands call these same functions, so both
paths check the same rules and leave the same credential event. `actor` is
the staff user in the admin and None in a command, which records the
operating-system user instead.
"""

import getpass
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model

# The registry depends on the TSP list (every client belongs to one TSP); the
# GINR side never depends on the registry.
from ginr.models import Tdsp
from oauth_clients.models import (
    FINGERPRINT_LENGTH,
    AccessRecord,
    CredentialEvent,
    M2MClient,
    TokenEvent,
)

logger = logging.getLogger(__name__)

DEFAULT_OVERLAP = timedelta(days=7)
MAX_OVERLAP = timedelta(days=90)
TOKEN_FINGERPRINT_LENGTH = 12


class ClientError(Exception):
    """A client operation that cannot be done as asked; nothing was written."""


@dataclass(frozen=True)
class IssuedClient:
    client: M2MClient
    # The only copy of the secret in plain text: show it once, store it nowhere.
    secret: str


def secret_fingerprint(secret: str) -> str:
    return secret[-FINGERPRINT_LENGTH:]


def token_fingerprint(token_checksum: str) -> str:
    return token_checksum[:TOKEN_FINGERPRINT_LENGTH]


def _actor_name(actor) -> str:
    if actor is not None:
        return actor.get_username()
    try:
        return f"command:{getpass.getuser()}"
    except (KeyError, OSError):
        return "command"


def _record(*, action, actor, client=None, **detail) -> CredentialEvent:
    return CredentialEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=_actor_name(actor),
        client=client,
        client_id_text=client.client_id if client else "",
        tdsp_id=client.tdsp_id if client else None,
        detail=detail,
    )


def _clean_scopes(scopes) -> str:
    scopes = list(dict.fromkeys(scopes or [settings.GINR_READ_SCOPE]))
    unknown = [
        scope for scope in scopes if scope not in settings.OAUTH2_PROVIDER["SCOPES"]
    ]
    if unknown:
        raise ClientError(f"Unknown scopes: {', '.join(unknown)}.")
    return " ".join(scopes)


def _check_lifetime(seconds: int) -> int:
    if not 60 <= seconds <= settings.ACCESS_TOKEN_MAX_SECONDS:
        raise ClientError(
            "The token lifetime must be between 60 and "
            f"{settings.ACCESS_TOKEN_MAX_SECONDS} seconds."
        )
    return seconds


def _check_expiry(expires_at):
    if expires_at is not None and expires_at <= timezone.now():
        raise ClientError("A secret expiry date must be in the future.")
    return expires_at


@transaction.atomic
def client_create(
    *,
    tdsp_code: str,
    name: str,
    scopes=None,
    actor=None,
    access_token_seconds: int = 3600,
    contact_email: str = "",
    secret_expires_at=None,
) -> IssuedClient:
    """Register a client for a TSP and generate its secret."""
    tdsp = Tdsp.objects.filter(code=tdsp_code).select_related("successor").first()
    if tdsp is None:
        raise ClientError(f"No TSP with code {tdsp_code!r}.")
    if not tdsp.active:
        hint = f"; issue it to {tdsp.successor.code}" if tdsp.successor else ""
        raise ClientError(f"TSP {tdsp.code} is not active{hint}.")
    allowed_scopes = _clean_scopes(scopes)
    if not name.strip():
        raise ClientError("A client needs a name.")
    _check_lifetime(access_token_seconds)
    _check_expiry(secret_expires_at)

    secret = generate_client_secret()
    client = M2MClient(
        name=name.strip(),
        tdsp=tdsp,
        client_type=M2MClient.CLIENT_CONFIDENTIAL,
        authorization_grant_type=M2MClient.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        allowed_scopes=allowed_scopes,
        access_token_seconds=access_token_seconds,
        contact_email=contact_email,
        created_by=actor,
        secret_fingerprint=secret_fingerprint(secret),
        secret_expires_at=secret_expires_at,
    )
    client.full_clean()
    client.save()

    _record(action=CredentialEvent.Action.CREATED, actor=actor, client=client)
    logger.info("Client created: client_id=%s tdsp=%s", client.client_id, tdsp.code)
    return IssuedClient(client=client, secret=secret)


@transaction.atomic
def client_rotate_secret(
    *,
    client: M2MClient,
    actor=None,
    overlap: timedelta = DEFAULT_OVERLAP,
    secret_expires_at=None,
) -> IssuedClient:
    """Give a client a new secret; the current one works for `overlap` more.

    With no overlap the current secret stops at once. Either way the secret
    before the current one, if it still had time, stops now: at most two
    secrets are ever valid.
    """
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise ClientError(f"The overlap must be 0 to {MAX_OVERLAP.days} days.")
    _check_expiry(secret_expires_at)
    client = M2MClient.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()

    if overlap and not client.secret_has_expired(now):
        client.previous_secret = client.client_secret
        client.previous_secret_fingerprint = client.secret_fingerprint
        client.previous_secret_valid_until = now + overlap
    else:
        client.previous_secret = ""
        client.previous_secret_fingerprint = ""
        client.previous_secret_valid_until = None
    secret = generate_client_secret()
    client.client_secret = secret
    client.secret_fingerprint = secret_fingerprint(secret)
    client.secret_expires_at = secret_expires_at
    client.save()

    _record(
        action=CredentialEvent.Action.SECRET_ROTATED,
        actor=actor,
        client=client,
        previous_fingerprint=client.previous_secret_fingerprint,
        previous_valid_until=(
            client.previous_secret_valid_until.isoformat()
            if client.previous_secret_valid_until
            else None
        ),
        new_fingerprint=client.secret_fingerprint,
    )
    logger.info(
        "Client secret rotated: client_id=%s overlap_seconds=%d",
        client.client_id,
        overlap.total_seconds(),
    )
    return IssuedClient(client=client, secret=secret)


def _expire_live_tokens(client) -> int:
    # Expired rows stay for cleartokens; moving a live token's expiry to now
    # is what DOT's validation reads, and keeps the row for correlation.
    now = timezone.now()
    live = get_access_token_model().objects.filter(application=client, expires__gt=now)
    return live.update(expires=now)


@transaction.atomic
def client_revoke_tokens(*, client: M2MClient, actor=None) -> int:
    """Revoke every live token of a client at once; the client stays usable."""
    revoked = _expire_live_tokens(client)

    _record(
        action=CredentialEvent.Action.TOKENS_REVOKED,
        actor=actor,
        client=client,
        tokens=revoked,
    )
    logger.info(
        "Client tokens revoked: client_id=%s count=%d", client.client_id, revoked
    )
    return revoked


@transaction.atomic
def client_set_active(*, client: M2MClient, active: bool, actor=None) -> M2MClient:
    """Disable a client (no new tokens, live ones revoked) or enable it again.

    Disabling also revokes the live tokens: a client disabled because its
    secret leaked must not get the leaked tokens back when it is enabled.
    """
    client = M2MClient.objects.select_for_update().get(pk=client.pk)
    if client.active == active:
        return client
    client.active = active
    client.save(update_fields=["active", "updated"])

    detail = {} if active else {"tokens": _expire_live_tokens(client)}
    action = (
        CredentialEvent.Action.ENABLED if active else CredentialEvent.Action.DISABLED
    )
    _record(action=action, actor=actor, client=client, **detail)
    logger.info("Client %s: client_id=%s", action, client.client_id)
    return client


EDITABLE_SETTINGS = (
    "name",
    "allowed_scopes",
    "access_token_seconds",
    "rate_limit_per_minute",
    "contact_email",
    "secret_expires_at",
)


@transaction.atomic
def client_update(*, client: M2MClient, actor=None, **changes) -> M2MClient:
    """Change a client's name, scopes, token lifetime, contact or secret expiry."""
    unknown = set(changes) - set(EDITABLE_SETTINGS)
    if unknown:
        raise ClientError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "allowed_scopes" in changes:
        changes["allowed_scopes"] = _clean_scopes(changes["allowed_scopes"].split())
    if "access_token_seconds" in changes:
        _check_lifetime(changes["access_token_seconds"])
    if "name" in changes and not changes["name"].strip():
        raise ClientError("A client needs a name.")
    client = M2MClient.objects.select_for_update().get(pk=client.pk)
    if changes.get("secret_expires_at") != client.secret_expires_at:
        _check_expiry(changes.get("secret_expires_at"))

    changed = {
        field: [_plain(getattr(client, field)), _plain(value)]
        for field, value in changes.items()
        if getattr(client, field) != value
    }
    if not changed:
        return client
    for field, value in changes.items():
        setattr(client, field, value)
    client.full_clean()
    client.save()

    _record(
        action=CredentialEvent.Action.SETTINGS_CHANGED,
        actor=actor,
        client=client,
        changed=changed,
    )
    logger.info(
        "Client settings changed: client_id=%s fields=%s",
        client.client_id,
        ",".join(sorted(changed)),
    )
    return client


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def token_event_record(
    *,
    presented_client_id: str,
    client: M2MClient | None,
    source_address: str | None,
    user_agent: str,
    status: int,
    error: str = "",
    scopes: str = "",
    token_checksum: str = "",
) -> TokenEvent:
    if status == 200:
        outcome = TokenEvent.Outcome.ISSUED
    elif status >= 500:
        outcome = TokenEvent.Outcome.ERROR
    else:
        outcome = TokenEvent.Outcome.REFUSED
    return TokenEvent.objects.create(
        presented_client_id=presented_client_id[:255],
        client=client,
        tdsp_id=client.tdsp_id if client else None,
        source_address=source_address,
        user_agent=user_agent[:255],
        outcome=outcome,
        status=status,
        error=error[:64],
        scopes=scopes[:255],
        token_fingerprint=token_fingerprint(token_checksum),
    )


@transaction.atomic
def audit_logs_purge(*, older_than_days: int, actor=None) -> dict:
    """Delete audit rows older than the retention, and record that it did."""
    if older_than_days < 1:
        raise ClientError("Audit rows younger than a day are never purged.")
    cutoff = timezone.now() - timedelta(days=older_than_days)

    deleted = {
        "token_events": TokenEvent.objects.older_than(cutoff).delete()[0],
        "credential_events": CredentialEvent.objects.older_than(cutoff)
        # The record of earlier purges is kept: it is the log's own history.
        .exclude(action=CredentialEvent.Action.AUDIT_PURGED)
        .delete()[0],
        "access_records": AccessRecord.objects.older_than(cutoff).delete()[0],
    }

    _record(
        action=CredentialEvent.Action.AUDIT_PURGED,
        actor=actor,
        older_than_days=older_than_days,
        cutoff=cutoff.isoformat(),
        **deleted,
    )
    logger.info("Audit logs purged: older_than_days=%d %s", older_than_days, deleted)
    return deleted
