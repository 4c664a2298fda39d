#!/usr/bin/env bash
# Tryton 8.2 and kupets doing the order-to-cash cycle in one run on one
# machine (see ../shared/bench/tryton/README.md for the Tryton side and
# docs/BENCHMARKS.md, "cycle", for the formula).
#
#   BENCH=/scratch/folder crates/bench/scripts/side-by-side.sh [K]
#
# BENCH holds the Tryton virtualenv (tryton-venv) made as that README says.
set -euo pipefail
cd "$(dirname "$0")/../../.."
k="${1:-50}"
: "${BENCH:?set BENCH to the folder holding tryton-venv}"
tryton_dir=$(cd ../shared/bench/tryton && pwd)
out=$(mktemp -d)
cargo build --release -q -p bench
(cd "$tryton_dir" && "$BENCH/tryton-venv/bin/python" tryton_bench.py -k "$k" --json-out "$out/tryton.json" >"$out/tryton.log" 2>&1)
# Tryton leaves its database's pages dirty; written back while `cycle` runs,
# they slow every commit of ours (measured: 3.28 ms a cycle right after
# Tryton, 2.0–2.4 ms on a quiet disk). Each side gets a quiet disk.
sync
target/release/bench cycle 2>"$out/cycle.log" | tail -n 1 >"$out/cycle.json"
python3 - "$out/tryton.json" "$out/cycle.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2]))
ph, k = t["phases"], t["params"]["orders"]
# One order's whole cycle in Tryton: its order, its shipments (backorders
# included), its invoice posted, one payment and one balance read.
per = lambda name, n: ph[name]["seconds"] * 1000.0 / n
tryton_ms = (per("orders", k) + per("shipments", k) + per("invoices", k)
             + ph["payments"]["ms_each"] + ph["balances"]["ms_each"])
ours_ms = c["cycle_ms"]
ours_16_ms = 1000.0 / c["cycles_per_s"]
two = c.get("two_step", {})
out = {
    "tryton_cycle_ms": round(tryton_ms, 1),
    "kupets_cycle_ms": ours_ms,
    "kupets_cycle_ms_at_16_clients": round(ours_16_ms, 3),
    "ratio_one_client": round(tryton_ms / ours_ms),
    "ratio_16_clients": round(tryton_ms / ours_16_ms),
}
if two:
    # The same work with each document created, then posted (two requests).
    out["two_step_ratio_one_client"] = round(tryton_ms / two["cycle_ms"])
    out["two_step_ratio_16_clients"] = round(tryton_ms * two["cycles_per_s"] / 1000.0)
out["tryton_phases_ms_each"] = {k: round(v["ms_each"], 1) for k, v in ph.items()}
out["kupets"] = c
print(json.dumps(out))
PY
