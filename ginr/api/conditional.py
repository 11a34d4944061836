"""Conditional GET: ETag and Last-Modified on every resource, 304 early.

A view with ConditionalGetMixin says what its representation depends on in
validators(), from cheap aggregates (a count, the latest modified_at or event
id), never from the serialised body. The check runs with the throttles:
after authentication and the scope check, so a 304 reveals nothing to a
caller who may not read the resource; a 304 does not count against the
client's quota (see check_throttles); nothing is serialised for it.
"""

import hashlib

from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from ginr.api.throttling import revalidation_allowed

PRECONDITIONS = (
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
)


class ConditionalResponse(Exception):
    """Carries a 304 (or a 412 for a failed If-Match) out of check_permissions."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class ConditionalGetMixin:
    def validators(self, request):
        """(text the ETag is a digest of, last-modified datetime or None)."""
        raise NotImplementedError

    def check_throttles(self, request):
        # A revalidation (a request with a precondition) is free against the
        # client's quota while it ends in 304 or 412, within a separate,
        # larger budget so that "If-None-Match: *" cannot be sent without
        # bound. Anything else, 404s included, is counted before the
        # validators touch the database.
        conditional = request.method in ("GET", "HEAD") and any(
            name in request.headers for name in PRECONDITIONS
        )
        if conditional:
            revalidation_allowed(request)
            self.evaluate_preconditions(request)
        super().check_throttles(request)
        if not conditional and request.method in ("GET", "HEAD"):
            self.evaluate_preconditions(request)

    def evaluate_preconditions(self, request):
        """Set the validators; raise a 304 or 412 answer if one is due."""
        source, last_modified = self.validators(request)
        # The same URL shows each TSP its own data, so the TSP is part of the
        # validator, as is every query parameter (filters, page, cursor).
        tag = hashlib.sha256(
            f"{request.user.tdsp_id}|{request.get_full_path()}|{source}".encode()
        ).hexdigest()[:32]
        self.etag = quote_etag(tag)
        self.last_modified = (
            int(last_modified.timestamp()) if last_modified is not None else None
        )
        response = get_conditional_response(
            request._request, etag=self.etag, last_modified=self.last_modified
        )
        if response is not None:
            raise ConditionalResponse(response)

    def handle_exception(self, exc):
        if isinstance(exc, ConditionalResponse):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code in (200, 304) and getattr(self, "etag", None):
            response["ETag"] = self.etag
            if self.last_modified is not None:
                response["Last-Modified"] = http_date(self.last_modified)
        return response
