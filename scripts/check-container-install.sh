#!/usr/bin/env bash
# Without a Docker engine: do what the Dockerfile does, in a clean folder and
# a clean virtual environment. Copy what its COPY lines copy, install with
# scripts/install-runtime.sh, collect the static files in production mode, and
# check that the production settings and the WSGI application load.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sources of every COPY line that copies from the build context.
grep -E '^COPY ' Dockerfile | grep -v -- '--from=' | while read -r _copy line; do
    read -ra words <<<"$line"
    for source in "${words[@]:0:${#words[@]}-1}"; do
        mkdir -p "$work/app/$(dirname "$source")"
        cp -R "$source" "$work/app/$source"
    done
done

echo "Installing the runtime dependencies into a clean virtual environment ..."
(cd "$work/app" && scripts/install-runtime.sh "$work/venv")

export DJANGO_ENV=production DJANGO_ENV_FILE=/dev/null \
    DJANGO_SECRET_KEY=build-only-collectstatic-key-not-used-at-run-time-0123456789 \
    DJANGO_ALLOWED_HOSTS=build.invalid DJANGO_STATIC_ROOT="$work/app/staticfiles"
unset DATABASE_URL
cd "$work/app"
"$work/venv/bin/python" manage.py collectstatic --noinput | tail -1
test -f staticfiles/staticfiles.json
# Django's own deployment checks must find nothing. django-oauth-toolkit's
# RFC 9700 warnings are about grants this service does not enable
# (authorization code, refresh tokens, redirect URIs); they are shown, not fatal.
"$work/venv/bin/python" manage.py check --deploy --fail-level ERROR 2>&1 | tee checks.log
if grep -E '\(security\.[WE][0-9]+\)' checks.log; then
    echo "Django's deployment checks failed" >&2
    exit 1
fi
"$work/venv/bin/python" -c 'import ginr_m2m.wsgi, gunicorn, psycopg, redis; print("WSGI application loads")'
# The image must not carry the test tools.
if "$work/venv/bin/python" -c 'import pytest' 2>/dev/null; then
    echo "pytest is installed in the runtime environment" >&2
    exit 1
fi
echo "container install steps: ok"
