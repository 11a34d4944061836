from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from ginr_m2m import ratelimit

POLICY = "per-client"
PERIOD = 60
# Revalidations answered 304 are free against the quota, up to this many
# times the quota per window.
REVALIDATION_FACTOR = 10


class ClientRateThrottle(BaseThrottle):
    """A per-client request quota, counted on the shared cache.

    Keyed on the client, never the address: TSPs' systems often sit behind
    one gateway, and one client reaching its quota must not slow another.
    """

    def allow_request(self, request, view):
        principal = request.user
        if principal is None:
            return True

        self.window = ratelimit.hit(
            f"api:{principal.client_id}",
            limit=principal.rate_limit_per_minute,
            period=PERIOD,
        )
        # Read by the view to send the RateLimit headers on every response.
        request.rate_limit_window = self.window
        return not self.window.exceeded

    def wait(self):
        return self.window.reset


def rate_limit_headers(window):
    """RateLimit and RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers)."""
    return {
        "RateLimit-Policy": f'"{POLICY}";q={window.limit};w={window.period}',
        "RateLimit": f'"{POLICY}";r={window.remaining};t={window.reset}',
    }


def revalidation_allowed(request):
    """Count a conditional request against the client's revalidation budget."""
    principal = request.user
    window = ratelimit.hit(
        f"api-revalidate:{principal.client_id}",
        limit=principal.rate_limit_per_minute * REVALIDATION_FACTOR,
        period=PERIOD,
    )
    if window.exceeded:
        raise Throttled(wait=window.reset)
