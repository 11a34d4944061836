#!/usr/bin/env bash
# Install the service's runtime dependencies, exactly as pinned in
# constraints.txt, into the virtual environment given (created if missing).
# The container build runs this; CI runs it in a clean environment to prove
# that the image's install step works without Docker.
#   scripts/install-runtime.sh /opt/venv
set -euo pipefail
venv=${1:?usage: install-runtime.sh VENV}
cd "$(dirname "$0")/.."

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --no-cache-dir --quiet --constraint constraints.txt .
# Only the dependencies stay: the code runs from its source folder, where
# settings find the bundled data beside it.
"$venv/bin/python" -m pip uninstall --quiet --yes ginr-m2m
