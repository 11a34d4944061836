#!/usr/bin/env bash
# Run the checks and the test suite. The suite uses PostgreSQL when
# DATABASE_URL is set (for example postgres://postgres@127.0.0.1:5432/ginr_m2m)
# and an in-memory SQLite database otherwise. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh

echo "== lint"
ruff check .
ruff format --check .
echo "== migrations"
python manage.py makemigrations --check --dry-run
if [ -n "${DATABASE_URL:-}" ]; then
    echo "== tests on the database in DATABASE_URL"
else
    echo "== tests on SQLite (in memory)"
fi
pytest "$@"
