"""Liveness and readiness probes, as small JSON documents, never cached.

GET /health/live   200 {"status": "ok"} while the process can answer at all;
                   it never touches the database, so an outage of the database
                   does not make an orchestrator restart healthy processes.
GET /health/ready  200 {"status": "ok", "checks": {"database": "ok",
                   "redis": "ok"}} when a fresh database connection (and Redis,
                   when REDIS_URL is set) answers within a few seconds; else 503
                   application/problem+json with Retry-After and the same
                   "checks" member naming what failed.

django-health-check's database check reuses the request's connection and
writes a row; readiness here needs a fresh connection with its own short
timeout and no writes, which is a few lines.
"""

import logging

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ginr_m2m.problems import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    database_unavailable,
    problem_response,
)

logger = logging.getLogger(__name__)


def _database_ok():
    current = connections[DEFAULT_DB_ALIAS]
    options = dict(current.settings_dict["OPTIONS"])
    if current.vendor == "postgresql":
        options["connect_timeout"] = settings.HEALTH_CHECK_TIMEOUT
    # A new connection, not the persistent one: readiness must prove that a
    # connection can be made now.
    fresh = type(current)(
        {**current.settings_dict, "OPTIONS": options}, DEFAULT_DB_ALIAS
    )
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DATABASE_ERRORS as exc:
        logger.warning("Readiness: database unavailable (%s)", type(exc).__name__)
        return False
    finally:
        fresh.close()


def _redis_ok():
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.HEALTH_CHECK_TIMEOUT,
        socket_timeout=settings.HEALTH_CHECK_TIMEOUT,
    )
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        logger.warning("Readiness: Redis unavailable (%s)", type(exc).__name__)
        return False
    finally:
        client.close()


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "unavailable"
    if all(value == "ok" for value in checks.values()):
        return JsonResponse({"status": "ok", "checks": checks})
    if checks["database"] != "ok":
        return database_unavailable(extra={"checks": checks})
    return problem_response(
        503,
        "A service this one depends on is unavailable; retry later.",
        "dependency_unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra={"checks": checks},
    )
