#!/usr/bin/env bash
# Runs bench/peer/aa_bench.py (the bench's workloads through Advanced Alchemy)
# in its own virtualenv, made and filled from requirements.txt when needed.
#
#   bash bench/peer/run.sh --scale 1 --reps 21 > peer.jsonl
#
# ALCHEMY_PEER_VENV: where the virtualenv lives (default ~/.cache/alchemy-rs/peer-venv).
# ALCHEMY_BENCH_POSTGRES_URL: the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${ALCHEMY_PEER_VENV:-$HOME/.cache/alchemy-rs/peer-venv}"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"

if ! command -v python3 >/dev/null 2>&1; then
    echo "run.sh: python3 not found (on Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "run.sh: creating virtualenv $venv" >&2
    mkdir -p "$(dirname "$venv")"
    if ! python3 -m venv "$venv" >&2; then
        rm -rf "$venv"
        echo "run.sh: 'python3 -m venv' failed; on Debian/Ubuntu install the package python3-venv" >&2
        echo "run.sh: (apt-get install python3-venv) and run again" >&2
        exit 1
    fi
fi

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
    echo "run.sh: installing $requirements into $venv" >&2
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    echo "$want" > "$stamp"
fi

exec "$venv/bin/python" "$here/aa_bench.py" "$@"
