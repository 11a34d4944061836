"""gunicorn settings for the GINR API, read from the environment.

Used by scripts/serve.sh, the container and the process tests:
`gunicorn -c gunicorn.conf.py ginr_m2m.wsgi`.
"""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Rate limits are counted in the cache: Redis, shared by every worker, when
# REDIS_URL is set; without it they live in one process, so one process
# serves, with threads. WEB_CONCURRENCY and GUNICORN_THREADS override.
_shared_cache = bool(os.environ.get("REDIS_URL"))
workers = int(os.environ.get("WEB_CONCURRENCY", "2" if _shared_cache else "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "1" if _shared_cache else "4"))
# A request that takes longer than this kills its worker. The database's
# statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS, 10 s) stays below it, so a
# slow query ends as a 503 rather than a killed worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
# Behind a proxy or load balancer that keeps connections open.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then, with jitter so they do not restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

# The API has no request bodies beyond the small token form: refuse anything
# larger early. Django's DATA_UPLOAD_MAX_MEMORY_SIZE limits bodies.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# The application writes its own access line (JSON, with the request id and
# client); gunicorn's own would duplicate it without them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# X-Forwarded-* are trusted only from these addresses (the proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn's control socket lives in $HOME by default: two instances on one
# host would share it, and a read-only root file system cannot hold it.
control_socket_disable = True

_production = os.environ.get("DJANGO_ENV") == "production"
if os.environ.get("LOG_FORMAT", "json" if _production else "plain") == "json":
    # gunicorn's own lines (start, worker timeouts) as JSON too, so that one
    # log pipeline reads them all.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level"},
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "propagate": False},
        },
    }


def on_starting(server):
    # Counts of an earlier run of the master must not be added to this one's.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    # With several workers, each writes its metrics to PROMETHEUS_MULTIPROC_DIR;
    # a dead worker's live gauges must go.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
