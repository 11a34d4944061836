"""The LOGGING dictionary, shared by settings and the logging tests."""


def logging_config(*, level="INFO", json_lines=False):
    context = "ginr_m2m.request_context.RequestContextFilter"
    if json_lines:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(request_id)s %(client_id)s %(tsp_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level"},
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s "
            "%(client_id)s %(tsp_id)s] %(message)s"
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": context},
            "no_traceback": {"()": "ginr_m2m.logging.WithoutTraceback"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_context"],
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # SQL with its parameters (token checksums, secret hashes) stays
            # out of the logs even at DEBUG.
            "django.db.backends": {"level": "INFO"},
            # oauthlib's DEBUG lines include the token response it issues,
            # access token and all.
            "oauthlib": {"level": "INFO"},
            # Our access line replaces Django's 4xx/5xx warnings per request.
            "django.request": {"level": "ERROR"},
            # A malformed or hostile request is worth one line, not a
            # traceback: anyone can send them, and they would flood the log.
            "django.security": {
                "handlers": ["console"],
                "level": "WARNING",
                "filters": ["no_traceback"],
                "propagate": False,
            },
        },
    }
