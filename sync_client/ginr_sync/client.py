"""Follow the GINR change feed and keep a local SQLite copy of the TSP's GINRs.

A run fetches the events after the cursor saved by the previous run, updates
the local copy from them and reports what is new or changed: new GINRs, and
changes to the key fields a TSP acts on. The cursor is saved only after the
whole run succeeded, so a failed run is simply repeated by the next one.
"""

import datetime as dt
import email.utils
import json
import logging
import sqlite3
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import authlib.deprecate

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns when it falls back to
    # httpx, which it still supports; the warning is not the user's concern.
    # (authlib.deprecate installs an "always" filter when first imported.)
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

logger = logging.getLogger(__name__)

# Milestones by their key in the GINR's "milestones".
MILESTONE_FIELDS = {
    "siteControlApproved",
    "screeningStudyStarted",
    "screeningStudyCompleted",
    "fisRequested",
    "fisApproved",
    "iaSigned",
    "meetsPlanning691",
    "meetsAllPlanning69",
    "meetsQsaPrerequisites",
    "constructionStart",
    "constructionEnd",
    "modelReady",
    "approvedForEnergization",
    "approvedForSynchronization",
    "approvedForCommercialOperation",
    "inactive",
    "cancelled",
}
KEY_FIELDS = {
    "studyPhase",
    "projectedCod",
    "capacityMw",
    "poiLocation",
    "status",
    *MILESTONE_FIELDS,
}
RETRY_STATUSES = {429, 503}
MAX_ATTEMPTS = 6
MAX_DELAY_SECONDS = 60
# Ask for a new token this many seconds before the current one expires.
TOKEN_LEEWAY_SECONDS = 120

SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ginr (
    id INTEGER PRIMARY KEY,
    inr TEXT NOT NULL,
    data TEXT NOT NULL,
    synced_at TEXT NOT NULL
);
"""


class SyncError(Exception):
    """The API refused or kept failing; nothing of this run was saved."""


@dataclass(frozen=True)
class Change:
    inr: str
    ginr_id: int
    project_name: str
    change: str  # "new", "changed" or "removed"
    field: str = ""
    old: object = None
    new: object = None


@dataclass
class Credentials:
    client_id: str
    client_secret: str


class Store:
    """The local SQLite copy: GINRs, the feed cursor and the cached token."""

    def __init__(self, path):
        path = Path(path)
        # It caches the access token: readable by its owner only.
        path.touch(mode=0o600, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)

    def get(self, key):
        row = self.db.execute("SELECT value FROM state WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key, value):
        self.db.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, json.dumps(value)],
        )

    def ginr(self, ginr_id):
        row = self.db.execute(
            "SELECT data FROM ginr WHERE id = ?", [ginr_id]
        ).fetchone()
        return json.loads(row[0]) if row else None

    def save_ginr(self, ginr):
        self.db.execute(
            "INSERT INTO ginr (id, inr, data, synced_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET inr = excluded.inr, "
            "data = excluded.data, synced_at = excluded.synced_at",
            [
                ginr["id"],
                ginr["inr"],
                json.dumps(ginr),
                dt.datetime.now(dt.UTC).isoformat(),
            ],
        )

    def delete_ginr(self, ginr_id):
        self.db.execute("DELETE FROM ginr WHERE id = ?", [ginr_id])

    def count(self):
        return self.db.execute("SELECT count(*) FROM ginr").fetchone()[0]

    def commit(self):
        self.db.commit()

    def close(self):
        self.db.close()


def retry_after_seconds(response, attempt):
    """The wait the server asked for, else exponential backoff; bounded."""
    value = response.headers.get("Retry-After", "").strip()
    delay = None
    if value.isdigit():
        delay = int(value)
    elif value:
        try:
            when = email.utils.parsedate_to_datetime(value)
            delay = (when - dt.datetime.now(dt.UTC)).total_seconds()
        except (TypeError, ValueError):
            delay = None
    if delay is None:
        delay = 2**attempt
    return max(0, min(delay, MAX_DELAY_SECONDS))


class Api:
    """Authenticated GETs with a cached token and bounded retries."""

    def __init__(self, base_url, credentials, store, *, sleep=time.sleep, **kwargs):
        self.base_url = base_url.rstrip("/")
        self.store = store
        self.sleep = sleep
        token = store.get("token")
        self.http = OAuth2Client(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            token_endpoint=f"{self.base_url}/oauth/token",
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106
            grant_type="client_credentials",
            token=token,
            update_token=self._token_updated,
            leeway=TOKEN_LEEWAY_SECONDS,
            timeout=30,
            **kwargs,
        )
        if token is None:
            self.fetch_token()

    def _token_updated(self, token, **kwargs):
        # Cached in the local database so that the next run reuses it.
        self.store.put("token", dict(token))
        self.store.commit()

    def fetch_token(self):
        token = self._retrying(lambda: self.http.fetch_token())
        self._token_updated(token)
        logger.info("Fetched an access token")

    def _retrying(self, call):
        for attempt in range(MAX_ATTEMPTS):
            try:
                result = call()
            except Exception as error:
                response = getattr(error, "response", None)
                if response is None or response.status_code not in RETRY_STATUSES:
                    raise
                result = response
            status = getattr(result, "status_code", None)
            if status not in RETRY_STATUSES:
                return result
            if attempt == MAX_ATTEMPTS - 1:
                break
            delay = retry_after_seconds(result, attempt)
            logger.warning("HTTP %s; retrying in %.0f s", status, delay)
            self.sleep(delay)
        raise SyncError(f"The API kept answering {status}; try again later.")

    def get(self, path, params=None):
        """GET a JSON resource; None for a 404."""
        url = f"{self.base_url}{path}"
        response = self._retrying(lambda: self.http.get(url, params=params))
        if response.status_code == 401:
            # Revoked or expired early on the server: one new token, once.
            self.fetch_token()
            response = self._retrying(lambda: self.http.get(url, params=params))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SyncError(
                f"GET {path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json()

    def close(self):
        self.http.close()


def sync(*, base_url, credentials, db_path, since=None, sleep=time.sleep, **kwargs):
    """One run: follow the feed from the saved cursor; return the changes."""
    store = Store(db_path)
    api = Api(base_url, credentials, store, sleep=sleep, **kwargs)
    try:
        return _sync(api, store, since)
    finally:
        api.close()
        store.close()


def _sync(api, store, since):
    cursor = store.get("cursor")
    params = {"after": cursor} if cursor else ({"since": since} if since else {})
    events = []
    while True:
        page = api.get("/ginr/rest/changes", params={**params, "pageSize": 500})
        if page is None:
            raise SyncError("The change feed is not available at this URL.")
        events += page["events"]
        params = {"after": page["cursor"]}
        if not page["more"]:
            break
    new_cursor = params["after"]

    # Key-field changes from the events: a field that changed several times
    # since the last run is reported once, from its first old value to its
    # last new one, and not at all if it came back.
    touched, fields = [], {}
    for event in events:
        ginr_id = event["ginrId"]
        if ginr_id not in touched:
            touched.append(ginr_id)
        if event["kind"] in ("field_changed", "status_changed"):
            key = (ginr_id, event["field"])
            old = fields[key][0] if key in fields else event["oldValue"]
            fields[key] = (old, event["newValue"])

    changes = []
    for ginr_id in touched:
        before = store.ginr(ginr_id)
        after = api.get(f"/ginr/rest/ginrRequest/{ginr_id}")
        if after is None:
            # No longer the TSP's (or gone): it leaves the local copy.
            if before is not None:
                store.delete_ginr(ginr_id)
                changes.append(
                    Change(before["inr"], ginr_id, before["projectName"], "removed")
                )
            continue
        store.save_ginr(after)
        if before is None:
            changes.append(Change(after["inr"], ginr_id, after["projectName"], "new"))
            continue
        for (event_ginr, field), (old, new) in fields.items():
            if event_ginr == ginr_id and field in KEY_FIELDS and old != new:
                changes.append(
                    Change(
                        after["inr"],
                        ginr_id,
                        after["projectName"],
                        "changed",
                        field,
                        old,
                        new,
                    )
                )

    store.put("cursor", new_cursor)
    store.commit()
    logger.info(
        "Synced %d events: %d changes, %d GINRs held",
        len(events),
        len(changes),
        store.count(),
    )
    return sorted(changes, key=lambda c: (c.inr, c.change, c.field))


def as_rows(changes):
    return [asdict(change) for change in changes]
