"""The service's settings without the audit middleware, for the side-by-side
throughput comparison in scripts/bench_access_records.sh only."""

from ginr_m2m.settings import *  # noqa: F403
from ginr_m2m.settings import MIDDLEWARE

MIDDLEWARE = [
    name for name in MIDDLEWARE if name != "oauth_clients.audit.AuditMiddleware"
]
