"""Set the Rust bench's lines against Advanced Alchemy's.

    python3 bench/peer/compare.py rust.jsonl peer.jsonl          # Markdown table
    python3 bench/peer/compare.py rust.jsonl peer.jsonl --json   # merged JSON lines

rust.jsonl is the output of `cargo run -p alchemy-bench --bin bench` (a
`{"settings": ...}` line, then one line per backend, db and workload);
peer.jsonl is the output of bench/peer/run.sh (a `{"peer_settings": ...}`
line, then one line per db and workload). Every Rust line is matched with the
peer line of its db and workload; factor vs AA = Rust seconds / AA seconds,
so above 1.00 the Rust library is slower than Advanced Alchemy. Standard
library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Optional


def read_lines(path: str) -> list[dict[str, Any]]:
    """The JSON object lines of `path`; anything else (log lines) is skipped."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"compare: skipping a line of {path} that is not JSON", file=sys.stderr)
    return out


def fmt(x: Optional[float], digits: int) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Rust bench vs Advanced Alchemy, as a Markdown table.")
    parser.add_argument("rust", help="the Rust bench's output (JSON lines)")
    parser.add_argument("peer", help="bench/peer/run.sh's output (JSON lines)")
    parser.add_argument("--json", action="store_true", help="print the merged lines as JSON lines instead")
    args = parser.parse_args()

    rust = read_lines(args.rust)
    peer = read_lines(args.peer)
    rust_settings = next((l["settings"] for l in rust if "settings" in l), {})
    peer_settings = next((l["peer_settings"] for l in peer if "peer_settings" in l), {})
    for key in ("scale", "reps"):
        if key in rust_settings and key in peer_settings and rust_settings[key] != peer_settings[key]:
            print(
                f"compare: warning: {key} differs (Rust {rust_settings[key]}, peer {peer_settings[key]})",
                file=sys.stderr,
            )

    aa = {(l["db"], l["workload"]): l for l in peer if "workload" in l}
    merged = []
    for line in rust:
        if "workload" not in line or "backend" not in line:
            continue
        other = aa.get((line["db"], line["workload"]))
        if other is not None and other.get("ops") != line.get("ops"):
            print(
                f"compare: warning: {line['backend']} {line['db']} {line['workload']}: "
                f"ops differ (Rust {line.get('ops')}, peer {other.get('ops')})",
                file=sys.stderr,
            )
        aa_seconds = other["seconds"] if other else None
        seconds = line.get("seconds")
        factor = round(seconds / aa_seconds, 2) if seconds is not None and aa_seconds else None
        merged.append(
            dict(
                line,
                aa_seconds=aa_seconds,
                aa_runs=other.get("runs") if other else None,
                aa_check_ok=other["check"].get("ok") if other else None,
                factor_vs_aa=factor,
            )
        )

    if args.json:
        for line in merged:
            print(json.dumps(line))
        return 0

    print("| backend | db | workload | seconds | raw seconds | ratio vs raw | Advanced Alchemy seconds | factor vs AA |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for l in merged:
        factor = l["factor_vs_aa"]
        slower = factor is not None and l["seconds"] > l["aa_seconds"]  # unrounded factor > 1.0
        mark = " ❌" if slower else ""
        print(
            f"| {l['backend']} | {l['db']} | {l['workload']} | {fmt(l.get('seconds'), 4)} "
            f"| {fmt(l.get('raw_seconds'), 4)} | {fmt(l.get('ratio_vs_raw'), 3)} "
            f"| {fmt(l['aa_seconds'], 4)} | {fmt(factor, 2)}{mark} |"
        )
    with_factor = [l for l in merged if l["factor_vs_aa"] is not None]
    print()
    if with_factor:
        worst = max(with_factor, key=lambda l: l["factor_vs_aa"])
        slower = sum(1 for l in with_factor if l["seconds"] > l["aa_seconds"])
        print(
            f"Highest factor vs Advanced Alchemy: {worst['factor_vs_aa']:.2f} "
            f"({worst['backend']} {worst['db']} {worst['workload']}); "
            f"{slower} of {len(with_factor)} lines slower than Advanced Alchemy."
        )
    else:
        print("Highest factor vs Advanced Alchemy: — (no line has an Advanced Alchemy peer)")
    if peer_settings:
        print(
            f"\nAdvanced Alchemy {peer_settings.get('advanced_alchemy')}, SQLAlchemy {peer_settings.get('sqlalchemy')}, "
            f"asyncpg {peer_settings.get('asyncpg')}, aiosqlite {peer_settings.get('aiosqlite')}, "
            f"Python {peer_settings.get('python')}, SQLite {peer_settings.get('sqlite')}; "
            f"scale {peer_settings.get('scale')}, {peer_settings.get('reps')} reps."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
