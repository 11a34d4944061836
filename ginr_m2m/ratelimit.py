"""Fixed-window counters on the shared cache, for rate and failure limits.

With REDIS_URL set the counters are in Redis, so every worker and every
instance counts in the same place, and are kept there directly rather than
through Django's cache: starting a window and counting in it is one
MULTI/EXEC round trip (SET NX EX, INCR), where the cache API takes three
(add, then incr, which checks the key exists first). That trip is on every
API request. Without Redis the counters live in Django's in-memory cache,
which is exact only when one process serves (scripts/serve.sh then runs a
single worker with threads).

If the cache cannot be reached the limit is not enforced and a warning is
logged: refusing every request because a counter store is down would turn a
cache outage into a full outage. A Redis that accepts connections but does
not answer would still cost every request a timeout, so after a failure this
process leaves Redis alone for REDIS_RETRY_SECONDS, counting nothing.
"""

import functools
import logging
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    limit: int
    count: int
    period: int
    # Seconds until the window resets.
    reset: int

    @property
    def exceeded(self):
        return self.count > self.limit

    @property
    def remaining(self):
        return max(self.limit - self.count, 0)


def _window_key(name, period):
    now = time.time()
    start = int(now // period)
    reset = max(int((start + 1) * period - now), 1)
    return f"ratelimit:{name}:{period}:{start}", reset


# Redis on the same network answers in well under a millisecond.
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_SECONDS = 5.0
_redis_down_until = 0.0


class RedisUnavailable(Exception):
    """Redis failed recently; not tried again until REDIS_RETRY_SECONDS pass."""


def forget_redis_failure():
    """Try Redis again at the next count (tests, and a shell after a fix)."""
    global _redis_down_until
    _redis_down_until = 0.0


@functools.cache
def _redis_client(url):
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
    )


def _with_redis(url, operation):
    """operation(client), or RedisUnavailable while Redis is known to be down."""
    global _redis_down_until
    if time.monotonic() < _redis_down_until:
        raise RedisUnavailable
    try:
        return operation(_redis_client(url))
    except redis.RedisError as error:
        _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        raise RedisUnavailable from error


def _redis_hit(url, key, period):
    def count(client):
        # Atomic, so a window cannot expire between the two and leave a
        # counter without a lifetime.
        with client.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=period + 1, nx=True)
            pipe.incr(key)
            _created, count = pipe.execute()
        return count

    return _with_redis(url, count)


def _counts(keys):
    """{key: count} of the keys that exist, in one round trip."""
    if settings.REDIS_URL:
        values = _with_redis(settings.REDIS_URL, lambda client: client.mget(keys))
        return {
            key: int(value) for key, value in zip(keys, values, strict=True) if value
        }
    return cache.get_many(keys)


def hit(name, *, limit, period):
    """Count one event against a limit and return the window after it."""
    key, reset = _window_key(name, period)
    if settings.REDIS_URL:
        try:
            count = _redis_hit(settings.REDIS_URL, key, period)
        except RedisUnavailable:
            logger.warning("Rate-limit store unavailable; %s not counted", name)
            count = 0
        return Window(limit=limit, count=count, period=period, reset=reset)

    try:
        # add() is a no-op when the key exists.
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): a new window began.
        cache.add(key, 1, timeout=period + 1)
        count = 1
    except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
        logger.warning("Rate-limit cache unavailable; %s not counted", name)
        count = 0
    return Window(limit=limit, count=count, period=period, reset=reset)


def peek(name, *, limit, period):
    """The current window of a limit, without counting an event."""
    key, reset = _window_key(name, period)
    try:
        count = _counts([key]).get(key, 0)
    except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
        logger.warning("Rate-limit cache unavailable; %s not checked", name)
        count = 0
    return Window(limit=limit, count=count, period=period, reset=reset)


def peek_many(limits, *, period):
    """The current windows of several limits ({name: limit}) in one cache
    round trip, without counting an event."""
    keys = {name: _window_key(name, period) for name in limits}
    try:
        counts = _counts([key for key, _reset in keys.values()])
    except Exception:  # noqa: BLE001 - any cache failure: fail open, loudly
        logger.warning(
            "Rate-limit cache unavailable; %s not checked", ", ".join(limits)
        )
        counts = {}
    return {
        name: Window(
            limit=limits[name], count=counts.get(key, 0), period=period, reset=reset
        )
        for name, (key, reset) in keys.items()
    }
