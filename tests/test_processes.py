"""The service as it runs in production: gunicorn processes on a real cluster.

These tests start their own PostgreSQL cluster (initdb and pg_ctl, run as the
postgres user, on a free port from 25432 up) and gunicorn processes on free
ports from 8701 up, so that they can stop the database under a running
service and run two instances side by side, sharing it and Redis. They need
the PostgreSQL server binaries and root (to run them as postgres); without
those they skip, saying why.
"""

import glob
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b32decode
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django_otp.oath import totp

from tests.conftest import basic_auth

ROOT = Path(__file__).resolve().parent.parent


def _free_port(candidates):
    """The first port of the range that nothing listens on (a run that was
    killed may have left a server behind)."""
    for port in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {candidates}")


# Below the kernel's ephemeral range (32768-60999 on Linux): a port in it can
# be taken by any outgoing connection between collection and this module's
# tests, and was.
PG_PORT = _free_port(range(25432, 25440))
_app_port = _free_port(range(8701, 8750))
APP_PORTS = (_app_port, _free_port(range(_app_port + 1, 8760)))
SECRET_KEY = "test-" + "Vq8sLx2mTn4pRw7zKc1bHy6dFj3gNa9e" + "-Ux5Wo2Zi8Me0Lb"
HOST = "ginr.test"
# The proxy in front of the service terminates TLS and says so.
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https"}
DATABASE = "ginr_processes"
STATIC_ROOT = Path(tempfile.gettempdir()) / f"ginr-processes-static-{os.getpid()}"

# The machine's Redis; a database number of its own.
REDIS_URL = "redis://127.0.0.1:6379/7"
METRICS_TOKEN = "scrape-" + "token-for-the-process-tests"
ADMIN_PASSWORD = "process-test-" + "admin-Pw-4417"


def _pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _skip_reason():
    if _pg_bin() is None:
        return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
    if os.geteuid() != 0:
        return "needs root to run initdb and pg_ctl as the postgres user"
    if shutil.which("runuser") is None:
        return "needs runuser to run initdb and pg_ctl as the postgres user"
    return None


class Cluster:
    def __init__(self, directory):
        self.bin = _pg_bin()
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.socket_dir = directory

    def _as_postgres(self, *args, check=True):
        return subprocess.run(  # noqa: S603 - fixed arguments
            ["runuser", "-u", "postgres", "--", *map(str, args)],  # noqa: S607
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def init(self):
        self._as_postgres(
            self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust"
        )

    def start(self):
        options = (
            f"-p {PG_PORT} -c listen_addresses=127.0.0.1 "
            f"-k {self.socket_dir} -c fsync=off"
        )
        started = self._as_postgres(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options,
            "-w", "start", check=False,
        )  # fmt: skip
        if started.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"PostgreSQL did not start on port {PG_PORT}: "
                f"{started.stdout}{started.stderr}{log[-2000:]}"
            )

    def stop(self):
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w",
                          "stop", check=False)  # fmt: skip

    def psql(self, sql, database="postgres"):
        result = self._as_postgres(
            self.bin / "psql", "-h", "127.0.0.1", "-p", PG_PORT,
            "-U", "postgres", "-d", database, "-tAc", sql,
        )  # fmt: skip
        return result.stdout.strip()


def _environment(**extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PROMETHEUS_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_ENV="production",
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS=HOST,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{PG_PORT}/{DATABASE}",
        DATABASE_CONNECT_TIMEOUT="2",
        DJANGO_STATIC_ROOT=str(STATIC_ROOT),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def _manage(*args):
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_environment(),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


@pytest.fixture(scope="module")
def cluster():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="ginr-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory)
    try:
        cluster.init()
        cluster.start()
        cluster.psql(f"CREATE DATABASE {DATABASE}")
        _manage("migrate", "--noinput")
        _manage("import_tsps", "data/ercot/tsps.csv")
        # Production serves the admin's files from the manifest collectstatic
        # writes, as the container image does.
        _manage("collectstatic", "--noinput")
        subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "manage.py", "createsuperuser", "--noinput",
             "--username", "staff", "--email", "staff@ginr.test"],
            cwd=ROOT, env=_environment(DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        # Production asks staff for a TOTP code as well as the password.
        config_url = _manage("add_staff_totp", "staff").strip().splitlines()[-2]
        cluster.totp_key = parse_qs(urlsplit(config_url).query)["secret"][0]
        device_id = cluster.psql("SELECT id FROM otp_totp_totpdevice", DATABASE)
        cluster.totp_device = f"otp_totp.totpdevice/{device_id}"
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
        shutil.rmtree(STATIC_ROOT, ignore_errors=True)


def _create_client(tdsp="AEP_TEXAS"):
    output = _manage(
        "create_m2m_client", "--tdsp", tdsp, "--name", "process test", "--json"
    )
    issued = json.loads(output)
    return issued["client_id"], issued["client_secret"]


class App:
    """One gunicorn master with its workers, as gunicorn.conf.py sets them up."""

    def __init__(self, port, log_path, **environment):
        self.port = port
        self.log = log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                "--bind", f"127.0.0.1:{port}", "--workers", "2", "ginr_m2m.wsgi",
            ],
            cwd=ROOT,
            env=_environment(**environment),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("/health/live")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.close()
        raise AssertionError(f"gunicorn did not start on {port}: see {log_path}")

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request(
                method, path, body=body, headers={**PROXY_HEADERS, **(headers or {})}
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get(self, path, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.request("GET", path, headers=headers)

    def token(self, client_id, secret):
        return self.request(
            "POST",
            "/oauth/token",
            body="grant_type=client_credentials",
            headers={
                "Authorization": basic_auth(client_id, secret),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def admin_session(self, totp_device, totp_key):
        return AdminSession(self, totp_device, totp_key)

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class AdminSession:
    """A staff member's browser: cookies and CSRF tokens, over plain http.

    The production cookies are Secure; the proxy in front ends TLS, so here
    they are carried by hand.
    """

    CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

    def __init__(self, app, totp_device, totp_key):
        self.app = app
        self.cookies = {}
        form = self._get("/admin/login/")
        # django-otp's TOTP: the base32 key from the device's otpauth URL.
        code = f"{totp(b32decode(totp_key)):06d}"
        status, _headers, _body = self._post(
            "/admin/login/",
            form,
            {
                "username": "staff",
                "password": ADMIN_PASSWORD,
                "otp_device": totp_device,
                "otp_token": code,
                "next": "/admin/",
            },
        )
        assert status == 302, "staff login failed"

    def _send(self, method, path, body=None, headers=None):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        status, response_headers, response_body = self.app.request(
            method, path, body=body, headers={"Cookie": cookie, **(headers or {})}
        )
        for name, value in response_headers.items():
            # http.client folds repeated Set-Cookie headers into one, ", "-joined.
            if name.lower() == "set-cookie":
                for pair in re.findall(r"(?:^|, )(\w+)=([^;]*)", value):
                    self.cookies[pair[0]] = pair[1]
        return status, response_headers, response_body

    def _get(self, path):
        status, _headers, body = self._send("GET", path)
        assert status == 200, (path, status)
        return self.CSRF_FIELD.search(body).group(1).decode()

    def _post(self, path, csrf_token, fields):
        return self._send(
            "POST",
            path,
            body=urlencode({"csrfmiddlewaretoken": csrf_token, **fields}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"https://{HOST}{path}",
            },
        )

    def disable_client(self, pk):
        # The client page's Disable button: a confirmation page, then a POST.
        path = f"/admin/oauth_clients/m2mclient/{pk}/disable/"
        form = self._get(path)
        status, _headers, body = self._post(path, form, {})
        assert status == 302, body[:500]


@pytest.fixture
def start_app(tmp_path):
    started = []

    def start(port, **environment):
        app = App(port, tmp_path / f"gunicorn-{port}.log", **environment)
        started.append(app)
        return app

    yield start
    for app in started:
        app.close()


def _access_token(response):
    status, _headers, body = response
    assert status == 200, body
    return json.loads(body)["access_token"]


def _assert_database_unavailable(response, what):
    status, headers, body = response
    assert status == 503, (what, status, body[:200])
    assert headers["Content-Type"] == "application/problem+json", what
    assert int(headers["Retry-After"]) > 0, what
    problem = json.loads(body)
    assert problem["status"] == 503, what
    assert "access_token" not in problem, what


def _stored_checksums(cluster):
    rows = cluster.psql(
        "SELECT token_checksum FROM oauth2_provider_accesstoken", database=DATABASE
    )
    return set(rows.split())


def test_every_endpoint_answers_503_while_the_database_is_down_and_recovers(
    cluster, start_app
):
    client_id, secret = _create_client()
    app = start_app(APP_PORTS[0])
    token = _access_token(app.token(client_id, secret))
    assert app.get("/ginr/rest/types/tdsp", token)[0] == 200
    assert app.get("/health/ready")[0] == 200

    # Token requests keep coming while the database goes away under them.
    issued, stop_hammering = [], threading.Event()

    def hammer():
        while not stop_hammering.is_set():
            status, _headers, body = app.token(client_id, secret)
            assert status in {200, 503}, (status, body[:200])
            if status == 200:
                issued.append(json.loads(body)["access_token"])

    hammering = threading.Thread(target=hammer)
    hammering.start()
    time.sleep(0.5)
    cluster.stop()
    time.sleep(0.5)
    stop_hammering.set()
    hammering.join(timeout=60)

    endpoints = {
        "token": lambda: app.token(client_id, secret),
        "tdspList": lambda: app.get("/ginr/rest/dashboard/tdspList", token),
        "types/tdsp": lambda: app.get("/ginr/rest/types/tdsp", token),
        "ginrRequest": lambda: app.get("/ginr/rest/ginrRequest/20INR0086", token),
        "health/ready": lambda: app.get("/health/ready"),
        # A staff member's session is looked up in the database.
        "admin": lambda: app.request(
            "GET", "/admin/", headers={"Cookie": "sessionid=" + "s" * 32}
        ),
    }
    # Twice, so that both workers (and their stale persistent connections)
    # are likely to have answered.
    for _round in range(2):
        for what, call in endpoints.items():
            _assert_database_unavailable(call(), what)
    assert json.loads(app.get("/health/ready")[2])["checks"] == {
        "database": "unavailable"
    }
    assert app.get("/health/live")[0] == 200
    # Even a request without a token is recorded in the access log, so it
    # too waits for the database rather than going unrecorded.
    _assert_database_unavailable(app.get("/ginr/rest/types/tdsp"), "no token")

    cluster.start()
    restarted = time.monotonic()
    while app.get("/health/ready")[0] != 200:
        assert time.monotonic() - restarted < 10, "not ready 10 s after restart"
        time.sleep(0.1)
    recovered_after = time.monotonic() - restarted

    for _round in range(4):
        assert app.get("/ginr/rest/types/tdsp", token)[0] == 200
        assert app.get("/ginr/rest/ginrRequest/20INR0086", token)[0] == 404
        new_token = _access_token(app.token(client_id, secret))
        assert app.get("/ginr/rest/dashboard/tdspList", new_token)[0] == 200
    assert time.monotonic() - restarted < 15
    # Every token the service handed out while the database went away is
    # stored, so it works; none was issued without being saved.
    stored = _stored_checksums(cluster)
    assert issued, "no token was issued before the database stopped"
    for access_token in issued:
        assert hashlib.sha256(access_token.encode()).hexdigest() in stored
    print(f"recovered {recovered_after:.2f} s after restart; {len(issued)} tokens")  # noqa: T201


def test_a_client_disabled_through_one_instance_is_refused_by_the_other_at_once(
    cluster, start_app
):
    client_id, secret = _create_client()
    shared = {"REDIS_URL": REDIS_URL}
    first = start_app(APP_PORTS[0], **shared)
    second = start_app(APP_PORTS[1], **shared)
    for app in (first, second):
        status, _headers, body = app.get("/health/ready")
        assert status == 200, body
        assert json.loads(body)["checks"] == {"database": "ok", "redis": "ok"}
    token = _access_token(first.token(client_id, secret))
    assert second.get("/ginr/rest/types/tdsp", token)[0] == 200

    pk = cluster.psql(
        f"SELECT id FROM oauth_clients_m2mclient WHERE client_id = '{client_id}'",  # noqa: S608
        database=DATABASE,
    )
    first.admin_session(cluster.totp_device, cluster.totp_key).disable_client(pk)

    status, headers, _body = second.get("/ginr/rest/types/tdsp", token)
    assert status == 401
    assert 'error="invalid_token"' in headers["WWW-Authenticate"]
    assert first.get("/ginr/rest/types/tdsp", token)[0] == 401
    assert second.token(client_id, secret)[0] == 401


def _sample(text, line_start):
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_scrape_counts_the_requests_of_every_gunicorn_worker(
    cluster, start_app, tmp_path
):
    client_id, secret = _create_client()
    app = start_app(
        APP_PORTS[0],
        METRICS_ENABLED="true",
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    requests = 12

    for _ in range(requests):
        _access_token(app.token(client_id, secret))
    status, _headers, body = app.request(
        "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )

    assert status == 200
    issued = 'ginr_token_requests_total{outcome="issued"}'
    assert _sample(body.decode(), issued) == requests
    assert app.get("/metrics")[0] == 404


def test_a_clients_rate_limit_is_shared_by_both_instances(cluster, start_app):
    client_id, secret = _create_client()
    limited = {"REDIS_URL": REDIS_URL, "API_RATE_LIMIT_PER_MINUTE": "5"}
    first = start_app(APP_PORTS[0], **limited)
    second = start_app(APP_PORTS[1], **limited)
    token = _access_token(first.token(client_id, secret))
    # The quota is counted per calendar minute: do not straddle two.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)

    statuses = [first.get("/ginr/rest/types/tdsp", token)[0] for _ in range(3)]
    statuses += [second.get("/ginr/rest/types/tdsp", token)[0] for _ in range(2)]
    over_on_second = second.get("/ginr/rest/types/tdsp", token)
    over_on_first = first.get("/ginr/rest/types/tdsp", token)

    assert statuses == [200] * 5
    assert over_on_second[0] == 429
    assert over_on_second[1]["Content-Type"] == "application/problem+json"
    assert over_on_first[0] == 429
