"""Benchmark the service as production runs it: gunicorn, PostgreSQL, Redis.

    .venv/bin/python benchmarks/run.py            # the full run, for people
    .venv/bin/python benchmarks/run.py --smoke    # seconds per scenario, for CI

Sets up a benchmark database (the bundled ERCOT data and a few clients)
unless it has GINRs already, starts gunicorn with DJANGO_ENV=production on a
loopback port, drives each scenario with wrk, and prints requests per second,
p50 and p99 latency, errors, SQL queries per request (counted in-process with
Django's CaptureQueriesContext on the same database) and the largest worker
RSS. Every wrk run is bounded in time (--duration) and in count
(--max-requests, stopped by benchmarks/wrk.lua).

HTTPS redirect is off (DJANGO_SECURE_SSL_REDIRECT=false): the benchmark talks
plain HTTP on loopback, where production has a TLS proxy in front.
"""

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk.lua"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ginr_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# Far above any load a benchmark can make, so the quota is counted (its cost
# is real) but never refuses.
UNLIMITED = 2_000_000_000

LIST = "/ginr/rest/dashboard/tdspList"
DETAIL = "/ginr/rest/ginrRequest/{id}"
BARE = "/benchmark/bare"
TOKEN = "/oauth/token"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts, for CI")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--port", type=int, default=8600)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument(
        "--no-audit-off",
        action="store_true",
        help="skip the second server that writes no access records",
    )
    parser.add_argument(
        "--only", default="", help="comma-separated scenario names to run"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.connections = 2
        args.duration = 1
        args.max_requests = 200
    return args


# --- in-process Django, for set-up and for counting queries ------------------


def server_env(args, **extra):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ginr_m2m.settings",
        "DJANGO_ENV": "production",
        "DJANGO_ENV_FILE": os.devnull,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "BENCHMARK_BARE_VIEW": "true",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def django_setup(args):
    # The in-process client serves no static files; WhiteNoise's warning that
    # none are collected is noise here.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    os.environ.update(server_env(args))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_database():
    """Bundled data and the benchmark's clients; returns what scenarios need."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db.models import Count

    from ginr.models import Assignment, Ginr, Tdsp
    from oauth_clients.models import M2MClient
    from oauth_clients.services import client_create

    call_command("migrate", verbosity=0, interactive=False)
    if not Ginr.objects.exists():
        data = ROOT / "data" / "ercot"
        call_command("import_tsps", str(data / "tsps.csv"), verbosity=0)
        call_command("import_gis_report", str(data / "GIS_Report_2026-01.xlsx"))
        call_command("import_tsp_assignments", str(data / "inr_primary_tsp.csv"))

    # The TSP with the most GINRs, so that a page of 100 is full.
    busiest = (
        Tdsp.objects.annotate(n=Count("assignments"))
        .filter(active=True)
        .order_by("-n")
        .first()
    )
    M2MClient.objects.filter(name__startswith="benchmark ").delete()
    ours = client_create(tdsp_code=busiest.code, name="benchmark service hasher")
    dot_default = client_create(tdsp_code=busiest.code, name="benchmark PBKDF2")
    # django-oauth-toolkit's default: the secret hashed with Django's default
    # password hasher (PBKDF2-SHA256, 1,000,000 iterations in Django 5.2).
    M2MClient.objects.filter(pk=dot_default.client.pk).update(
        client_secret=make_password(dot_default.secret, hasher="pbkdf2_sha256")
    )
    M2MClient.objects.filter(name__startswith="benchmark ").update(
        rate_limit_per_minute=UNLIMITED
    )
    ginr_id = (
        Assignment.objects.filter(tdsp=busiest).order_by("ginr__inr").first().ginr_id
    )
    return {
        "tdsp": busiest.code,
        "ginrs": Ginr.objects.visible_to(busiest.pk).count(),
        "ours": (ours.client.client_id, ours.secret),
        "dot_default": (dot_default.client.client_id, dot_default.secret),
        "ginr_id": ginr_id,
    }


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def count_queries(method, path, audit=True, **headers):
    """SQL queries one request makes, through the whole Django stack."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    send = client.post if method == "POST" else client.get
    extra = {"content_type": "application/x-www-form-urlencoded"}
    body = headers.pop("body", None)
    # The first request warms per-process caches (content types, the
    # connection itself); the second is what a warm worker does.
    for _ in range(2):
        with (
            override_settings(AUDIT_ACCESS_RECORDS=audit),
            CaptureQueriesContext(connection) as queries,
        ):
            if method == "POST":
                response = send(path, body, **extra, **headers)
            else:
                response = send(path, **headers)
    return len(queries), response.status_code


# --- the server and the load generator ---------------------------------------


@contextmanager
def gunicorn(args, extra_env=None):
    log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "ginr_m2m.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--no-control-socket",
            "--graceful-timeout",
            "5",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=server_env(args, **(extra_env or {})),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + BARE, timeout=2)  # noqa: S310
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    sys.exit("gunicorn did not start:\n" + log.read().decode())
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def worker_rss_mb(master_pid):
    """The largest resident set of the gunicorn workers, in MB."""
    largest = 0
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    for pid in children.read_text().split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            largest = max(largest, int(match.group(1)))
    return largest / 1024


def cpu_ticks(master_pid):
    total = 0
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    for pid in children.read_text().split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def wait_until_idle(master_pid, limit=60):
    """Wait until the workers have finished what wrk left queued."""
    deadline = time.monotonic() + limit
    before = cpu_ticks(master_pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = cpu_ticks(master_pid)
        if after - before <= 2:
            return
        before = after


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(args, url, min_duration=0, **request):
    """Run wrk once; return requests/s, p50, p99 (ms) and errors."""
    duration = max(args.duration, min_duration)
    env = {
        **os.environ,
        "BENCH_MAX_RESPONSES": str(args.max_requests),
        **{f"BENCH_{name.upper()}": value for name, value in request.items()},
    }
    output = subprocess.run(  # noqa: S603 - fixed arguments
        [
            shutil.which("wrk") or "wrk",
            "--threads",
            "1",
            "--connections",
            str(args.connections),
            "--duration",
            f"{duration}s",
            "--timeout",
            "30s",
            "--latency",
            "--script",
            str(LUA),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    latency = dict(
        (percent, to_ms(value, unit))
        for percent, value, unit in re.findall(
            r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE
        )
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    done = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        errors += int(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        errors += sum(int(n) for n in match.groups())
    return {
        "rps": rate,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
        "errors": errors,
        "requests": done,
    }


def fetch(url, **headers):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def issue_token(base, client_id, secret):
    request = urllib.request.Request(  # noqa: S310
        base + TOKEN,
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": basic(client_id, secret),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)["access_token"]


# --- the scenarios -------------------------------------------------------------


def report(name, figures, queries, rss, note=""):
    def ms(value):
        return "-" if value is None else f"{value:.1f}"

    print(
        f"{name:<34} {figures['rps']:>9.1f} {ms(figures['p50']):>8} "
        f"{ms(figures['p99']):>8} {figures['errors']:>6} {figures['requests']:>8} "
        f"{queries:>7} {rss:>7.1f}  {note}",
        flush=True,
    )


def header():
    print(
        f"{'scenario':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'requests':>8} {'SQL/req':>7} {'RSS MB':>7}",
        flush=True,
    )


def wanted(args, name):
    names = args.only.split(",")
    return not args.only or name in names or (name == "bare_end" and "bare" in names)


def run_server_scenarios(args, setup, results, label="", audit=True):
    """The scenarios on one server. The first server runs as production does;
    a second one, labelled, writes no access records (AUDIT_ACCESS_RECORDS
    off) and runs only the reads, against its own ceiling."""
    extra_env = None if audit else {"AUDIT_ACCESS_RECORDS": "false"}
    ours_id, ours_secret = setup["ours"]
    dot_id, dot_secret = setup["dot_default"]
    detail = DETAIL.format(id=setup["ginr_id"])
    with gunicorn(args, extra_env) as (base, master):
        token = issue_token(base, ours_id, ours_secret)
        bearer = f"Bearer {token}"
        body = "grant_type=client_credentials"

        def scenario(name, path, queries, note="", min_duration=0, **request):
            if not wanted(args, name):
                return
            figures = wrk(args, base + path, min_duration, **request)
            results[name + label] = figures
            report(name + label, figures, queries, worker_rss_mb(master), note)

        bare_queries, _ = count_queries("GET", BARE)
        scenario("bare", BARE, bare_queries, "constant JSON, the ceiling")

        if audit:
            token_queries, _ = count_queries(
                "POST", TOKEN, body=body, HTTP_AUTHORIZATION=basic(ours_id, ours_secret)
            )
            scenario(
                "token",
                TOKEN,
                token_queries,
                "client_secret_sha256",
                method="POST",
                body=body,
                authorization=basic(ours_id, ours_secret),
            )
        detail_queries, _ = count_queries(
            "GET", detail, audit, HTTP_AUTHORIZATION=bearer
        )
        scenario(
            "ginrRequest",
            detail,
            detail_queries,
            f"GINR {setup['ginr_id']}",
            authorization=bearer,
        )
        list_path = LIST + "?pageSize=100"
        list_queries, _ = count_queries(
            "GET", list_path, audit, HTTP_AUTHORIZATION=bearer
        )
        scenario(
            "tdspList",
            list_path,
            list_queries,
            f"page of 100 of {setup['ginrs']} ({setup['tdsp']})",
            authorization=bearer,
        )

        if wanted(args, "304"):
            _status, headers, _body = fetch(base + detail, Authorization=bearer)
            etag = headers.get("ETag") or headers.get("Etag")
            if etag is None:
                print("304: skipped, the server sends no ETag on ginrRequest")
            else:
                not_modified_queries, status = count_queries(
                    "GET",
                    detail,
                    audit,
                    HTTP_AUTHORIZATION=bearer,
                    HTTP_IF_NONE_MATCH=etag,
                )
                scenario(
                    "304",
                    detail,
                    not_modified_queries,
                    f"If-None-Match on ginrRequest (in-process status {status})",
                    authorization=bearer,
                    if_none_match=etag,
                )

        # Last: each PBKDF2 request costs about a second of CPU, and requests
        # still queued when wrk stops would slow whatever ran next.
        if audit:
            dot_queries, _ = count_queries(
                "POST", TOKEN, body=body, HTTP_AUTHORIZATION=basic(dot_id, dot_secret)
            )
            scenario(
                "token_dot_default",
                TOKEN,
                dot_queries,
                "PBKDF2 (django-oauth-toolkit's default)",
                # Each request costs about a second of CPU: a run shorter than
                # a few seconds would finish none.
                min_duration=5,
                method="POST",
                body=body,
                authorization=basic(dot_id, dot_secret),
            )

            wait_until_idle(master)

        # A second ceiling at the end shows whether the machine was disturbed.
        scenario("bare_end", BARE, bare_queries, "again, to spot disturbance")


def ceiling(results, label=""):
    """The mean of the bare-view figures measured on one server."""
    bare = [
        figures["rps"]
        for name, figures in results.items()
        if name in (f"bare{label}", f"bare_end{label}")
    ]
    return sum(bare) / len(bare) if bare else None


def print_ratios(results, off_label, smoke=False):
    print("\nratios (same server, same run):")
    over = ceiling(results)

    def verdict(met):
        # A smoke run's counts are capped and tiny: no verdict from them.
        if smoke:
            return "smoke run, no verdict"
        return "meets" if met else "below"

    def ratio(name, target):
        if name in results and over:
            value = results[name]["rps"] / over
            print(
                f"  {name:<28} {value:7.3f}  "
                f"(target >= {target}: {verdict(value >= target)})"
            )

    if "token" in results and "token_dot_default" in results:
        faster = results["token"]["rps"] / max(
            results["token_dot_default"]["rps"], 1e-9
        )
        print(f"  token / token_dot_default    {faster:7.1f}x")
        print(
            f"  token req/s                  {results['token']['rps']:7.1f}  "
            f"(target >= 500: {verdict(results['token']['rps'] >= 500)})"
        )
    ratio("ginrRequest", 0.6)
    ratio("tdspList", 0.4)
    ratio("304", 0.8)

    # Each server against its own ceiling: the two ran minutes apart.
    over_off = ceiling(results, off_label)
    for name in ("ginrRequest", "tdspList", "304"):
        on, off = results.get(name), results.get(name + off_label)
        if on and off and over and over_off:
            on_ratio, off_ratio = on["rps"] / over, off["rps"] / over_off
            cost = (
                ""
                if smoke
                else f"  (access records cost {1 - on_ratio / off_ratio:.0%} "
                "of its throughput)"
            )
            print(
                f"  {name + ' of bare, audit on/off':<28} {on_ratio:7.3f} / "
                f"{off_ratio:.3f}{cost}"
            )


def main(argv=None):
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk)")
    django_setup(args)
    setup = prepare_database()
    print(
        f"gunicorn: {args.workers} sync workers on 127.0.0.1:{args.port}; wrk: 1 "
        f"thread, {args.connections} connections, {args.duration}s or "
        f"{args.max_requests} responses per run; DJANGO_ENV=production, "
        f"DJANGO_SECURE_SSL_REDIRECT=false; CPUs: {os.cpu_count()}",
        flush=True,
    )
    header()
    results = {}
    run_server_scenarios(args, setup, results)
    off_label = " audit off"
    if not args.no_audit_off:
        run_server_scenarios(args, setup, results, off_label, audit=False)
    print_ratios(results, off_label, args.smoke)
    if args.smoke:
        print("smoke mode: counts far too small for these figures to mean anything")
    idle = sorted(name for name, figures in results.items() if not figures["requests"])
    if idle:
        sys.exit(f"no request completed in: {', '.join(idle)}")


if __name__ == "__main__":
    main()
