#!/usr/bin/env bash
# What writing an access record per API request costs in throughput.
#
# Serves the API twice with gunicorn (the same settings, with and without the
# audit middleware) and loads each in turn with wrk (Debian's package), on
# 127.0.0.1 only, for a fixed time per round. Prints requests/s per round and
# the ratio of the medians. Needs DATABASE_URL (PostgreSQL, as in production);
# it imports the bundled data and creates a benchmark client there.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/ginr_bench \
#       scripts/bench_access_records.sh [PORT_BASE] [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database}"
command -v wrk >/dev/null || { echo "Install wrk (apt-get install wrk)." >&2; exit 1; }
base=${1:-8300}
seconds=${2:-10}
rounds=${3:-3}
with_port=$((base + 1))
without_port=$((base + 2))
export DJANGO_ENV=development DJANGO_ENV_FILE=/dev/null LOG_LEVEL=WARNING

python manage.py migrate --noinput -v0
python manage.py import_tsps data/ercot/tsps.csv >/dev/null
python manage.py import_gis_report --skip-if-older data/ercot/GIS_Report_2026-01.xlsx >/dev/null
python manage.py import_tsp_assignments data/ercot/inr_primary_tsp.csv >/dev/null
credentials=$(python manage.py create_m2m_client --tdsp AEP_TEXAS \
    --name "benchmark $(date +%s)" --json)

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
serve() { # port settings-module
    DJANGO_SETTINGS_MODULE=$2 PYTHONPATH=scripts gunicorn ginr_m2m.wsgi \
        --bind "127.0.0.1:$1" --workers 2 --log-level warning &
    pids+=($!)
}
serve "$with_port" ginr_m2m.settings
serve "$without_port" bench_settings
for port in "$with_port" "$without_port"; do
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/admin/login/" && break; sleep 0.2; done
done

token=$(python - "$credentials" "$with_port" <<'PY'
import base64, json, sys, urllib.request
creds = json.loads(sys.argv[1])
pair = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
request = urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[2]}/oauth/token",
    data=b"grant_type=client_credentials",
    headers={"Authorization": f"Basic {pair}"},
)
print(json.load(urllib.request.urlopen(request))["access_token"])  # noqa: S310
PY
)

run() { # port path -> requests/s
    wrk -t1 -c4 -d"${seconds}s" -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$1$2" | awk '/Requests\/sec/ {print $2}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for path in "/ginr/rest/types/tdsp" "/ginr/rest/dashboard/tdspList?pageSize=10"; do
    with=(); without=()
    run "$with_port" "$path" >/dev/null  # warm both servers up
    run "$without_port" "$path" >/dev/null
    for round in $(seq "$rounds"); do
        with+=("$(run "$with_port" "$path")")
        without+=("$(run "$without_port" "$path")")
        echo "$path round $round: with records ${with[-1]} req/s, without ${without[-1]} req/s"
    done
    a=$(printf '%s\n' "${with[@]}" | median)
    b=$(printf '%s\n' "${without[@]}" | median)
    echo "$path median: with $a, without $b req/s, ratio $(python -c "print(f'{$a / $b:.3f}')")"
done
