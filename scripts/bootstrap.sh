# Sourced by scripts/app and scripts/test: make .venv and install the project into it.
# Re-runs are quick: nothing is installed again until pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

bootstrap() {
    local extras="$1"
    local stamp="$VENV/.installed-$extras-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    [ -f "$stamp" ] && return 0
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    echo "Installing Cable Assistant into $VENV (first run only) ..."
    "$VENV/bin/pip" install --quiet --upgrade pip
    # The CPU build of torch; a bare "torch" requirement would pull a multi-GB CUDA build.
    "$VENV/bin/pip" install --quiet "torch==2.13.0"
    "$VENV/bin/pip" install --quiet -e "$ROOT[$extras]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
}
