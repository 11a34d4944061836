#!/usr/bin/env bash
# What writing an access record per API request costs in throughput.
#
# Serves the API twice with gunicorn (the same settings, with access records
# on and with AUDIT_ACCESS_RECORDS=false) and loads each in turn with wrk
# (Debian's package), on
# 127.0.0.1 only, for a fixed time per round, alternating the two so that load
# from other processes hits both alike. Prints requests/s per round and the
# median of the per-round ratios (with / without). Wall-clock throughput on a
# shared machine is noisy, so it also counts the CPU time each request costs:
# gunicorn's processes plus their own PostgreSQL backends (told apart by
# application_name), from /proc. On a CPU-bound box, throughput goes as the
# inverse of that cost, whatever else the machine is running. Needs DATABASE_URL (PostgreSQL, as in production);
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
seconds=${2:-5}
rounds=${3:-7}
with_port=$((base + 1))
without_port=$((base + 2))
export DJANGO_ENV=development DJANGO_ENV_FILE=/dev/null LOG_LEVEL=WARNING
# Far above what wrk can send: a quota reached would answer cheap 429s and
# make the side that reached it look fast.
export API_RATE_LIMIT_PER_MINUTE=2000000000
# The benchmark serves no static files.
export PYTHONWARNINGS="ignore:No directory at"

python manage.py migrate --noinput -v0
python manage.py import_tsps data/ercot/tsps.csv >/dev/null
python manage.py import_gis_report --skip-if-older data/ercot/GIS_Report_2026-01.xlsx >/dev/null
python manage.py import_tsp_assignments data/ercot/inr_primary_tsp.csv >/dev/null
credentials=$(python manage.py create_m2m_client --tdsp AEP_TEXAS \
    --name "benchmark $(date +%s)" --json)

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
case "$DATABASE_URL" in *\?*) sep='&' ;; *) sep='?' ;; esac
serve() { # port access-records-on
    DATABASE_URL="${DATABASE_URL}${sep}application_name=bench$1" DJANGO_CONN_MAX_AGE=3600 \
        AUDIT_ACCESS_RECORDS=$2 gunicorn ginr_m2m.wsgi \
        --bind "127.0.0.1:$1" --workers 2 --log-level warning &
    pids+=($!)
}
serve "$with_port" true
serve "$without_port" false
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

cpu_ms() { # port -> CPU milliseconds used so far by that server and its backends
    python - "$1" "$(psql "$DATABASE_URL" -Atc \
        "select string_agg(pid::text, ' ') from pg_stat_activity where application_name = 'bench$1'")" <<'PY'
import os, subprocess, sys
port, backends = sys.argv[1], sys.argv[2].split()
master = subprocess.run(["pgrep", "-f", f"127.0.0.1:{port}"], capture_output=True, text=True).stdout.split()
workers = [c for m in master for c in subprocess.run(["pgrep", "-P", m], capture_output=True, text=True).stdout.split()]
ticks = 0
for pid in {*master, *workers, *backends}:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    ticks += int(fields[11]) + int(fields[12])
print(ticks * 1000 // os.sysconf("SC_CLK_TCK"))
PY
}

run() { # port path -> "requests/s CPU-ms-per-request"
    local before after out
    before=$(cpu_ms "$1")
    out=$(wrk -t1 -c4 -d"${seconds}s" -H "Authorization: Bearer $token" "http://127.0.0.1:$1$2")
    after=$(cpu_ms "$1")
    python -c "import sys; r=int('$(echo "$out" | awk '/requests in/ {print $1}')'); \
print('$(echo "$out" | awk '/Requests\/sec/ {print $2}')', f'{($after - $before) / r:.2f}')"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "/ginr/rest/types/tdsp" "/ginr/rest/dashboard/tdspList?pageSize=10"; do
    ratios=(); cpu_ratios=()
    run "$with_port" "$path" >/dev/null  # warm both servers up
    run "$without_port" "$path" >/dev/null
    for round in $(seq "$rounds"); do
        # Alternate which goes first, so neither always follows the other.
        if [ $((round % 2)) -eq 0 ]; then
            read -r a ca <<<"$(run "$with_port" "$path")"; read -r b cb <<<"$(run "$without_port" "$path")"
        else
            read -r b cb <<<"$(run "$without_port" "$path")"; read -r a ca <<<"$(run "$with_port" "$path")"
        fi
        ratios+=("$(python -c "print(f'{$a / $b:.3f}')")")
        # Throughput ratio implied by CPU cost: without's cost / with's cost.
        cpu_ratios+=("$(python -c "print(f'{$cb / $ca:.3f}')")")
        echo "$path round $round: with records $a req/s ${ca} CPU-ms/req," \
            "without $b req/s ${cb} CPU-ms/req; ratio ${ratios[-1]}, by CPU ${cpu_ratios[-1]}"
    done
    echo "$path median ratio: $(printf '%s\n' "${ratios[@]}" | median)," \
        "by CPU cost: $(printf '%s\n' "${cpu_ratios[@]}" | median)"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
