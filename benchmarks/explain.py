"""EXPLAIN (ANALYZE, BUFFERS) of every SQL query the hot requests make.

    .venv/bin/python benchmarks/explain.py --database-url postgres://.../ginr_bench

Issues a token, reads one GINR and a page of 100 of the busiest TSP's list
in-process (the same set-up as benchmarks/run.py), captures their SQL and
prints PostgreSQL's plan of each: the evidence for (or against) an index.
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


if __name__ == "__main__":
    main()
