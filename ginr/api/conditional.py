"""Conditional GET: ETag and Last-Modified on every resource, 304 early.

A view with ConditionalGetMixin says what its representation depends on in
validators(), from cheap aggregates (a count, the latest modified_at or event
id), never from the serialised body. The check runs in check_permissions:
after authentication and the scope check, so a 304 reveals nothing to a
caller who may not read the resource, and before the throttles that
APIView.initial runs next, so a 304 never counts against a client's rate
limit; nothing is serialised for it.
"""

import hashlib

from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag


class ConditionalResponse(Exception):
    """Carries a 304 (or a 412 for a failed If-Match) out of check_permissions."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class ConditionalGetMixin:
    def validators(self, request):
        """(text the ETag is a digest of, last-modified datetime or None)."""
        raise NotImplementedError

    def check_permissions(self, request):
        super().check_permissions(request)
        if request.method not in ("GET", "HEAD"):
            return

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
