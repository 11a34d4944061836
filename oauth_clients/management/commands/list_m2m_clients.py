from django.core.management.base import BaseCommand
from django.db.models import Max, OuterRef, Subquery

from oauth_clients.models import AccessRecord, M2MClient, TokenEvent


class Command(BaseCommand):
    help = "List the machine clients, their secret fingerprints and last use."

    def add_arguments(self, parser):
        parser.add_argument("--tdsp", help="Only this TSP's clients")

    def handle(self, *args, tdsp, **options):
        last_token = (
            TokenEvent.objects.filter(
                client=OuterRef("pk"), outcome=TokenEvent.Outcome.ISSUED
            )
            .values("client")
            .annotate(last=Max("time"))
            .values("last")
        )
        last_use = (
            AccessRecord.objects.filter(client=OuterRef("pk"))
            .values("client")
            .annotate(last=Max("time"))
            .values("last")
        )
        clients = (
            M2MClient.objects.select_related("tdsp")
            .annotate(last_token=Subquery(last_token), last_use=Subquery(last_use))
            .order_by("tdsp__code", "name")
        )
        if tdsp:
            clients = clients.filter(tdsp__code=tdsp)

        header = (
            "client_id\ttsp\tname\tactive\tsecret\tprevious_until\tlast_token\tlast_use"
        )
        self.stdout.write(header)
        for client in clients:
            previous = (
                f"…{client.previous_secret_fingerprint} "
                f"{client.previous_secret_valid_until:%Y-%m-%dT%H:%MZ}"
                if client.previous_secret_is_valid()
                else "-"
            )
            self.stdout.write(
                "\t".join(
                    [
                        client.client_id,
                        client.tdsp.code,
                        client.name,
                        "yes" if client.active else "no",
                        f"…{client.secret_fingerprint}",
                        previous,
                        _time(client.last_token),
                        _time(client.last_use),
                    ]
                )
            )


def _time(value):
    return f"{value:%Y-%m-%dT%H:%M:%SZ}" if value else "-"
