# syntax=docker/dockerfile:1
# The GINR M2M API: gunicorn serving Django, as a non-root user.
# Build:    docker build -t ginr-m2m .
# Migrate:  docker run --env-file .env ginr-m2m python manage.py migrate --noinput
# Serve:    docker run --env-file .env -p 8000:8000 ginr-m2m

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY scripts/install-runtime.sh scripts/
COPY ginr_m2m ginr_m2m
COPY ginr ginr
COPY oauth_clients oauth_clients
RUN scripts/install-runtime.sh /opt/venv

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    PORT=8000
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /app app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY manage.py gunicorn.conf.py ./
COPY ginr_m2m ginr_m2m
COPY ginr ginr
COPY oauth_clients oauth_clients
COPY data data
# The admin's static files, fingerprinted, built into the image; the build-only
# key and host satisfy production settings' checks and are used for nothing.
RUN DJANGO_SECRET_KEY=build-only-collectstatic-key-not-used-at-run-time-0123456789 \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && python -m compileall -q ginr_m2m ginr oauth_clients
USER 10001:10001
EXPOSE 8000
# Migrations are a separate step (the compose "migrate" service, a Kubernetes
# Job), never run by the app's processes.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "ginr_m2m.wsgi"]
