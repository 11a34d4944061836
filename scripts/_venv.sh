# Sourced by the other scripts: make .venv, install the pinned dependencies
# when pyproject.toml or constraints.txt changed, and put .venv on PATH.
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is needed as '$PYTHON' (set PYTHON=...)." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv ..."
    "$PYTHON" -m venv .venv
fi
stamp=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
    echo "Installing dependencies (pinned in constraints.txt) ..."
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet --constraint constraints.txt \
        --editable ".[test]" >.venv/install.log 2>&1 ||
        { cat .venv/install.log >&2; exit 1; }
    echo "$stamp" >.venv/.installed
fi
export PATH="$PWD/.venv/bin:$PATH"
