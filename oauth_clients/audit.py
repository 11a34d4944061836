"""Token events and access records, written as requests finish.

Every answer of the token endpoint is recorded by the middleware: an issued
token from what the validator noted when it saved it (the client it already
loaded, and the token's checksum, never the token), anything else (refusals,
throttling, server errors) from the response. Not from django-oauth-toolkit's
app_authorized signal: with a listener the toolkit reads each new token back
from the database to send it, and the listener then loads its client again,
two queries on the busiest write path. API requests are recorded by the
middleware too: the API views know nothing of auditing and only leave the
number of GINRs they returned on the response.
"""

import base64
import binascii
import json
import logging
import re
import time
from urllib.parse import unquote_plus, urlencode

from django.conf import settings
from django.core import checks

from oauth_clients.models import AccessRecord, M2MClient
from oauth_clients.services import token_event_record
from oauth_clients.validators import issued_token

logger = logging.getLogger(__name__)

TOKEN_VIEW_NAME = "oauth2_provider:token"  # noqa: S105 - a URL name
API_PREFIX = "/ginr/rest/"
# A caller may put a credential in the query string even though it is refused;
# the record keeps the parameter's name, never its value.
SENSITIVE_PARAMETER = re.compile(r"token|secret|password|key|auth", re.IGNORECASE)


def storable(text: str) -> str:
    """Caller-controlled text as a database text column can hold it.

    PostgreSQL text cannot contain NUL; the auditor sees it spelled out.
    """
    return text.replace("\x00", "\\x00")


def presented_client_id(request) -> str:
    """The client_id the caller sent (Basic or body), never the secret."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return storable(unquote_plus(decoded.partition(":")[0]))[:255]
    if request.method == "POST":
        return storable(request.POST.get("client_id", ""))[:255]
    return ""


def safe_path(request) -> str:
    path = storable(request.path)
    if not request.GET:
        return path[:512]
    query = [
        (name, "[removed]" if SENSITIVE_PARAMETER.search(name) else value)
        for name, values in request.GET.lists()
        for value in values
    ]
    return f"{path}?{urlencode(query)}"[:512]


def _request_facts(request) -> dict:
    return {
        "source_address": request.META.get("REMOTE_ADDR") or None,
        "user_agent": storable(request.headers.get("User-Agent", "")),
    }


def _oauth_error(response) -> str:
    if response.get("Content-Type", "").split(";")[0] != "application/json":
        return ""
    try:
        body = json.loads(response.content)
    except (ValueError, AttributeError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else ""


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A worker thread serves one request after another.
        issued_token.set(None)
        started = time.monotonic()
        response = self.get_response(request)
        elapsed_ms = round((time.monotonic() - started) * 1000)

        match = request.resolver_match
        if match and match.view_name == TOKEN_VIEW_NAME:
            issued = issued_token.get()
            if issued is not None and response.status_code == 200:
                self._record_issued_token(request, *issued)
            else:
                self._record_refused_token(request, response)
        elif request.path.startswith(API_PREFIX) and settings.AUDIT_ACCESS_RECORDS:
            self._record_access(request, response, elapsed_ms)
        return response

    def _record_issued_token(self, request, client, token_checksum, scope):
        token_event_record(
            presented_client_id=presented_client_id(request) or client.client_id,
            client=client,
            status=200,
            scopes=scope,
            token_checksum=token_checksum,
            **_request_facts(request),
        )

    def _record_refused_token(self, request, response):
        client_id = presented_client_id(request)
        client = (
            M2MClient.objects.filter(client_id=client_id).first() if client_id else None
        )
        token_event_record(
            presented_client_id=client_id,
            client=client,
            status=response.status_code,
            error=_oauth_error(response),
            **_request_facts(request),
        )

    def _record_access(self, request, response, elapsed_ms):
        # DRF sets both on the Django request once it has authenticated.
        principal = getattr(request, "user", None)
        token = getattr(request, "auth", None)
        AccessRecord.objects.create(
            client_id=getattr(token, "application_id", None),
            tdsp_id=getattr(principal, "tdsp_id", None),
            method=request.method[:8],
            path=safe_path(request),
            status=response.status_code,
            ginr_count=getattr(response, "ginr_count", None),
            duration_ms=elapsed_ms,
        )


@checks.register(checks.Tags.security)
def access_records_are_on(app_configs, **kwargs):
    if settings.AUDIT_ACCESS_RECORDS:
        return []
    return [
        checks.Warning(
            "AUDIT_ACCESS_RECORDS is off: API requests leave no access record.",
            hint="Auditors cannot see who read which GINRs. Switch it off only "
            "to measure its cost.",
            id="oauth_clients.W001",
        )
    ]
