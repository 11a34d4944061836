"""Watch the whole suite for secrets and tokens where they must never be.

Every client secret is collected as it is saved (before the hasher sees it)
and every access token as it is stored (before only its checksum is kept).
Every log record of every logger, at every level, and every page the server
renders is kept; at the end of the session none may contain any of them.

The only places a secret or token may appear are the ones that exist to hand
it over: the token endpoint's 200 answer and the admin's secret-once page.
"""

import json
import logging

from django.db.models.signals import pre_save

HASH_PREFIX = "client_secret_sha256$"


class LeakGuard:
    def __init__(self):
        self.secrets = set()
        self.texts = []  # (where, text)

    # --- collecting what must stay hidden ---------------------------------

    def collect_client_secret(self, sender, instance, **kwargs):
        value = instance.client_secret
        if value and not value.startswith(HASH_PREFIX):
            self.secrets.add(value)

    def collect_access_token(self, sender, instance, **kwargs):
        raw = getattr(instance, "_raw_token", None) or instance.token
        if raw:
            self.secrets.add(raw)

    # --- collecting what may be seen ------------------------------------------

    def keep(self, where, text):
        self.texts.append((where, text))

    def leaks(self):
        # Short values (none are issued here) would match by chance.
        needles = [secret for secret in self.secrets if len(secret) >= 20]
        return [
            (where, needle[-4:])
            for where, text in self.texts
            for needle in needles
            if needle in text
        ]


class KeepLogRecords(logging.Handler):
    def __init__(self, guard):
        super().__init__(level=logging.NOTSET)
        self.guard = guard
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record):
        self.guard.keep(f"log {record.name}", self.format(record))


guard = LeakGuard()


class KeepResponses:
    """Test-only middleware: keeps every rendered page the server sends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.streaming or _hands_over_a_credential(request, response):
            return response
        guard.keep(f"{request.method} {request.path}", response.content.decode())
        return response


def _hands_over_a_credential(request, response):
    match = request.resolver_match
    if match is None:
        return False
    if match.view_name == "oauth2_provider:token" and response.status_code == 200:
        # Check that the answer carries the token and nothing else secret.
        body = json.loads(response.content)
        return set(body) <= {"access_token", "expires_in", "token_type", "scope"}
    return match.view_name == "admin:oauth_clients_m2mclient_secret"


def install():
    from oauth2_provider.models import get_access_token_model

    from oauth_clients.models import M2MClient

    pre_save.connect(guard.collect_client_secret, sender=M2MClient, weak=False)
    pre_save.connect(
        guard.collect_access_token, sender=get_access_token_model(), weak=False
    )
    # Every level of every logger: a debug line is a leak too.
    logging.getLogger().addHandler(KeepLogRecords(guard))
    logging.getLogger().setLevel(logging.DEBUG)
