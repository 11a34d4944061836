"""EXPLAIN (ANALYZE, BUFFERS) of every SQL query the hot requests make.

    .venv/bin/python benchmarks/explain.py --database-url postgres://.../ginr_bench

Issues a token, reads one GINR and a page of 100 of the busiest TSP's list
in-process (the same set-up as benchmarks/run.py), opens the auditors' list
of access records (first page, one client's, the last day's) as an auditor,
captures their SQL and prints PostgreSQL's plan of each: the evidence for
(or against) an index.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402 - after the path is set


def main(argv=None):
    args = run.parse_args(argv)
    run.django_setup(args)
    setup = run.prepare_database()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client_id, secret = setup["ours"]
    with CaptureQueriesContext(connection) as token_queries:
        response = client.post(
            run.TOKEN,
            "grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=run.basic(client_id, secret),
        )
    bearer = f"Bearer {response.json()['access_token']}"
    requests = {"token": [query["sql"] for query in token_queries]}
    for name, path in (
        ("ginrRequest", run.DETAIL.format(id=setup["ginr_id"])),
        ("tdspList", run.LIST + "?pageSize=100"),
    ):
        client.get(path, HTTP_AUTHORIZATION=bearer)
        with CaptureQueriesContext(connection) as captured:
            client.get(path, HTTP_AUTHORIZATION=bearer)
        requests[name] = [query["sql"] for query in captured]

    requests.update(auditor_pages(client))

    print(f"TSP {setup['tdsp']}: {setup['ginrs']} GINRs")
    with connection.cursor() as cursor:
        for name, captured in requests.items():
            for sql in captured:
                if not sql.startswith("SELECT"):
                    continue
                print(f"\n-- {name}: {sql[:160]}...")
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                for (line,) in cursor.fetchall():
                    print(line)


def auditor_pages(client):
    """{name: SQL} of the access-record list pages an auditor opens."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from oauth_clients.models import AccessRecord

    auditor, _ = get_user_model().objects.get_or_create(
        username="benchmark-auditor", defaults={"is_staff": True}
    )
    auditor.groups.add(Group.objects.get(name="Auditors"))
    client.force_login(auditor)
    some = AccessRecord.objects.exclude(client=None).order_by("-id").first()
    base = "/admin/oauth_clients/accessrecord/"
    day = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    pages = {"auditors' list": base}
    if some is not None:
        pages["one client's records"] = f"{base}?client__id__exact={some.client_id}"
    pages["the last day's records"] = f"{base}?time__range__gte={day}"
    captured_pages = {}
    # The pages are rendered without collected static files and without the
    # TOTP step: only their queries matter here.
    storages = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    with override_settings(ADMIN_REQUIRE_OTP=False, STORAGES=storages):
        for name, path in pages.items():
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, secure=True)
            if response.status_code != 200:
                sys.exit(f"{path}: status {response.status_code}")
            captured_pages[name] = [
                query["sql"]
                for query in captured
                if "oauth_clients_accessrecord" in query["sql"]
            ]
    return captured_pages


if __name__ == "__main__":
    main()
