"""The fixed-window counters, on a real Redis where one runs.

The in-memory fallback is exercised by every API and token test; these pin
what only the Redis store does: one atomic round trip that starts a window
with a lifetime, and failing open when Redis is gone.
"""

import logging
import uuid

import pytest
import redis

from ginr_m2m import ratelimit
from tests.live import redis_available

REDIS_URL = "redis://127.0.0.1:6379/13"
CLOSED_PORT = 9  # discard: nothing listens there

needs_redis = pytest.mark.skipif(not redis_available(), reason="needs Redis")


@pytest.fixture
def name():
    return f"test:{uuid.uuid4().hex}"


@needs_redis
def test_redis_counts_each_hit_and_gives_the_window_a_lifetime(settings, name):
    settings.REDIS_URL = REDIS_URL

    windows = [ratelimit.hit(name, limit=2, period=60) for _ in range(3)]

    assert [window.count for window in windows] == [1, 2, 3]
    assert [window.exceeded for window in windows] == [False, False, True]
    key, _reset = ratelimit._window_key(name, 60)
    assert 0 < redis.Redis.from_url(REDIS_URL).ttl(key) <= 61


@needs_redis
def test_redis_peeks_read_the_counts_without_counting(settings, name):
    settings.REDIS_URL = REDIS_URL
    ratelimit.hit(name, limit=5, period=60)

    single = ratelimit.peek(name, limit=5, period=60)
    many = ratelimit.peek_many({name: 5, f"{name}:none": 7}, period=60)

    assert single.count == 1
    assert (many[name].count, many[f"{name}:none"].count) == (1, 0)
    assert ratelimit.peek(name, limit=5, period=60).count == 1


def test_an_unreachable_redis_fails_open_with_a_warning(settings, name, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"

    with caplog.at_level(logging.WARNING, logger="ginr_m2m.ratelimit"):
        window = ratelimit.hit(name, limit=1, period=60)

    assert (window.count, window.exceeded) == (0, False)
    assert "not counted" in caplog.text


@needs_redis
def test_after_a_failure_redis_is_left_alone_for_a_while(settings, name, monkeypatch):
    # A Redis that hangs would otherwise cost every request a timeout.
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 60)
    settings.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    ratelimit.hit(name, limit=5, period=60)

    settings.REDIS_URL = REDIS_URL
    while_down = ratelimit.hit(name, limit=5, period=60)
    ratelimit.forget_redis_failure()
    after = ratelimit.hit(name, limit=5, period=60)

    assert while_down.count == 0
    assert after.count == 1
