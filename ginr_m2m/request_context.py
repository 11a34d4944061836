"""Who and what the current request is, for every log line it writes.

The request id is bound when a request starts; the calling client and its TSP
are bound once the client has authenticated (at the token endpoint or by its
bearer token). Context variables keep concurrent requests apart in threaded
and asynchronous servers alike.
"""

import logging
import re
import uuid
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
client_id: ContextVar[str | None] = ContextVar("client_id", default=None)
tsp_id: ContextVar[int | None] = ContextVar("tsp_id", default=None)

# A caller's id is echoed and logged only if it cannot smuggle anything into
# either: short, and letters, digits and a few separators only.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_from(header_value):
    """The caller's X-Request-ID if it is sane, else a new one."""
    if header_value and SANE_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def bind_client(*, client, tdsp):
    client_id.set(client)
    tsp_id.set(tdsp)


class RequestContextFilter(logging.Filter):
    """Adds request_id, client_id and tsp_id to every record (None outside)."""

    def filter(self, record):
        record.request_id = request_id.get()
        record.client_id = client_id.get()
        record.tsp_id = tsp_id.get()
        # Django attaches the request to its own records; its repr would put
        # the query string in the log, and the path is already on the
        # access line.
        if hasattr(record, "request"):
            record.request = None
        return True
