"""The machine-client registry: django-oauth-toolkit's Application, swapped.

Every client belongs to exactly one TSP and can only be a confidential
client-credentials client with a secret; the database enforces all three, so
no path (admin, shell, a future import) can create a client that fails open.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

# A secret is named by its last characters, never shown again in full.
FINGERPRINT_LENGTH = 4


def default_allowed_scopes():
    return settings.GINR_READ_SCOPE


class M2MClient(AbstractApplication):
    tdsp = models.ForeignKey(
        "ginr.Tdsp",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"active": True},
        verbose_name="TSP/TDSP",
    )
    # Gates both issuing new tokens and using live ones (is_usable).
    active = models.BooleanField(default=True)
    allowed_scopes = models.CharField(
        max_length=255,
        default=default_allowed_scopes,
        help_text="Space-separated scopes this client may be granted.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        "API rate limit (requests per minute)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Empty means the service default.",
    )
    access_token_seconds = models.PositiveIntegerField(
        "token lifetime (seconds)",
        default=3600,
        validators=[MinValueValidator(60), MaxValueValidator(3600)],
        help_text="How long this client's tokens last: 60 to 3600 seconds.",
    )
    contact_email = models.EmailField(
        "technical contact",
        blank=True,
        help_text="E-mail of the TSP's technical owner of this client.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    secret_fingerprint = models.CharField(max_length=FINGERPRINT_LENGTH, blank=True)
    secret_expires_at = models.DateTimeField(
        "secret expires",
        null=True,
        blank=True,
        help_text="Optional: the current secret stops working at this time.",
    )
    # Rotation with overlap: the secret before the current one, hashed with the
    # same hasher, keeps working until previous_secret_valid_until.
    previous_secret = models.CharField(max_length=255, blank=True)
    previous_secret_fingerprint = models.CharField(
        max_length=FINGERPRINT_LENGTH, blank=True
    )
    previous_secret_valid_until = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractApplication.Meta):
        verbose_name = "machine client"
        constraints = [
            models.CheckConstraint(
                condition=Q(client_type="confidential"),
                name="m2mclient_confidential_only",
            ),
            models.CheckConstraint(
                condition=Q(authorization_grant_type="client-credentials"),
                name="m2mclient_client_credentials_only",
            ),
            # A blank secret would otherwise authenticate with the client_id
            # alone (check_password("", make_password("")) is True).
            models.CheckConstraint(
                condition=~Q(client_secret=""), name="m2mclient_secret_required"
            ),
            models.CheckConstraint(
                condition=Q(access_token_seconds__gte=60)
                & Q(access_token_seconds__lte=3600),
                name="m2mclient_token_lifetime_at_most_an_hour",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.client_id})"

    def clean(self):
        super().clean()
        if self.client_type != self.CLIENT_CONFIDENTIAL:
            raise ValidationError({"client_type": "Machine clients are confidential."})
        if self.authorization_grant_type != self.GRANT_CLIENT_CREDENTIALS:
            raise ValidationError(
                {"authorization_grant_type": "Machine clients use client credentials."}
            )
        if not self.client_secret:
            raise ValidationError({"client_secret": "A client secret is required."})

    def is_usable(self, request):
        return self.active

    @property
    def scopes(self):
        return self.allowed_scopes.split()

    def secret_has_expired(self, now=None):
        now = now or timezone.now()
        return self.secret_expires_at is not None and self.secret_expires_at <= now

    def previous_secret_is_valid(self, now=None):
        now = now or timezone.now()
        return bool(
            self.previous_secret
            and self.previous_secret_valid_until
            and now < self.previous_secret_valid_until
        )

    def secret_expires_soon(self, now=None, days=30):
        now = now or timezone.now()
        return (
            self.secret_expires_at is not None
            and self.secret_expires_at <= now + timedelta(days=days)
        )


class AuditQuerySet(models.QuerySet):
    def older_than(self, cutoff):
        return self.filter(time__lt=cutoff)


class AuditRecord(models.Model):
    """Append-only: written by the service, never changed through the admin."""

    time = models.DateTimeField(default=timezone.now, db_index=True)
    # The client and TSP the record is about, where they are known; the rows
    # outlive a deleted client, and a TSP with audit rows cannot be deleted.
    client = models.ForeignKey(
        M2MClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tdsp = models.ForeignKey(
        "ginr.Tdsp",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="TSP/TDSP",
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-time", "-id"]
        default_permissions = ["view"]


class TokenEvent(AuditRecord):
    """One request to the token endpoint, successful or not."""

    class Outcome(models.TextChoices):
        ISSUED = "issued", "token issued"
        REFUSED = "refused", "refused"
        ERROR = "error", "server error"

    # As presented by the caller, which may name no client at all.
    presented_client_id = models.CharField(max_length=255, blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField()
    error = models.CharField("OAuth error", max_length=64, blank=True)
    scopes = models.CharField("granted scopes", max_length=255, blank=True)
    # The first hex digits of the SHA-256 of the token, which is also what the
    # token table stores: enough to correlate, useless to authenticate.
    token_fingerprint = models.CharField(max_length=16, blank=True)

    class Meta(AuditRecord.Meta):
        indexes = [models.Index(fields=["client", "outcome", "time"])]

    def __str__(self):
        return (
            f"{self.time:%Y-%m-%d %H:%M:%S} {self.presented_client_id} {self.outcome}"
        )


class CredentialEvent(AuditRecord):
    """A staff or operator action on a client, or a purge of the audit logs."""

    class Action(models.TextChoices):
        CREATED = "created"
        SECRET_ROTATED = "secret_rotated", "secret rotated"
        TOKENS_REVOKED = "tokens_revoked", "tokens revoked"
        DISABLED = "disabled"
        ENABLED = "enabled"
        SETTINGS_CHANGED = "settings_changed", "settings changed"
        AUDIT_PURGED = "audit_purged", "audit logs purged"

    action = models.CharField(max_length=32, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too, so the record survives the account's removal; a
    # management command records the operating-system user.
    actor_name = models.CharField(max_length=150)
    client_id_text = models.CharField("client_id", max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.action} {self.client_id_text}"


class AccessRecord(AuditRecord):
    """One request to the GINR API."""

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    status = models.PositiveSmallIntegerField()
    ginr_count = models.PositiveIntegerField("GINRs returned", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)")

    class Meta(AuditRecord.Meta):
        indexes = [
            models.Index(fields=["client", "time"]),
            # What auditors look for, the refused and failed requests, is a
            # few percent of the rows: this finds and counts them without
            # reading the table, and costs nothing when a read succeeds.
            models.Index(
                fields=["status", "time"],
                name="accessrecord_unusual_status",
                condition=~models.Q(status__in=[200, 304]),
            ),
        ]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status}"
