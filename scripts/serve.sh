#!/usr/bin/env bash
# Set up and run the service on this machine: install, migrate, load the
# bundled ERCOT data, create a demo client for AEP Texas (its secret is printed
# once), then serve with gunicorn on 127.0.0.1:8000 (set PORT to change).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh

# The secret key in .env and the SQLite database are for this user only.
umask 077
if [ ! -f .env ] && [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    # A local secret key, kept out of git, so sessions survive restarts.
    python -c 'import secrets; print("DJANGO_SECRET_KEY=" + secrets.token_urlsafe(50))' >.env
    echo "Wrote a new DJANGO_SECRET_KEY to .env"
fi

python manage.py migrate --noinput
python manage.py collectstatic --noinput >/dev/null
python manage.py import_tsps data/ercot/tsps.csv
python manage.py import_gis_report --skip-if-older data/ercot/GIS_Report_2026-01.xlsx
python manage.py import_tsp_assignments data/ercot/inr_primary_tsp.csv
python manage.py create_m2m_client --tdsp AEP_TEXAS --name "AEP Texas demo client" \
    --unless-exists

port=${PORT:-8000}
cat <<TXT

Get a token with the client_id and secret printed when the client was created:
  TOKEN=\$(curl -s -u "\$CLIENT_ID:\$CLIENT_SECRET" -d grant_type=client_credentials \\
      http://127.0.0.1:$port/oauth/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
Then read AEP Texas's GINRs:
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$port/ginr/rest/dashboard/tdspList
API description: http://127.0.0.1:$port/ginr/rest/docs

Serving on http://127.0.0.1:$port (Ctrl-C stops).
TXT
# gunicorn.conf.py sets workers and threads: several worker processes when
# REDIS_URL shares the rate-limit counters, else one process with threads.
# The application writes the access line itself, without query strings.
exec gunicorn --config gunicorn.conf.py --bind "127.0.0.1:$port" ginr_m2m.wsgi
