from django.conf import settings
from rest_framework.permissions import BasePermission

from ginr.api.exceptions import InsufficientScope


class HasGinrReadScope(BasePermission):
    """The caller is a machine client whose token carries the read scope."""

    def has_permission(self, request, view):
        principal = request.user
        if principal is None:
            # DRF answers 401 with the authenticator's Bearer challenge.
            return False
        if settings.GINR_READ_SCOPE not in principal.scopes:
            raise InsufficientScope(settings.GINR_READ_SCOPE)
        return True
