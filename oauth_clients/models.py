"""The machine-client registry: django-oauth-toolkit's Application, swapped.

Every client belongs to exactly one TSP and can only be a confidential
client-credentials client with a secret; the database enforces all three, so
no path (admin, shell, a future import) can create a client that fails open.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from oauth2_provider.models import AbstractApplication


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
        null=True,
        blank=True,
        help_text="API requests per minute; empty means the service default.",
    )

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
