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


class MalformedQueryString(exceptions.APIException):
    """400 for a query string that is not percent-encoded UTF-8.

    A client error like any other: not Django's SuspiciousOperation, which is
    logged as an ERROR with a traceback, so any token holder could fill the
    error log.
    """

    status_code = 400
    default_detail = "The query string is not valid percent-encoded UTF-8."
    default_code = "bad_request"
