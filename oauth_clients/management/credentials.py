"""How the commands that generate a secret print it: once, never logged."""

import json


def write_credentials(stdout, issued, notice):
    """Print client_id and secret as shell lines, or as one JSON object."""
    if notice is None:
        stdout.write(
            json.dumps(
                {"client_id": issued.client.client_id, "client_secret": issued.secret}
            )
        )
        return
    # Lines a shell can take as they are: paste them to set both.
    stdout.write(
        f"{notice}\nCLIENT_ID={issued.client.client_id}\nCLIENT_SECRET={issued.secret}"
    )
