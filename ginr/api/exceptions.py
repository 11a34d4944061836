from rest_framework import exceptions


class InsufficientScope(exceptions.PermissionDenied):
    """403 whose WWW-Authenticate names the missing scope (RFC 6750 3.1)."""

    default_detail = "The access token does not carry the scope this resource needs."
    default_code = "insufficient_scope"

    def __init__(self, scope, realm="ginr"):
        super().__init__()
        self.challenge = (
            f'Bearer realm="{realm}", error="insufficient_scope", scope="{scope}"'
        )
