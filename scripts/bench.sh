#!/usr/bin/env bash
# The benchmark command: builds the examples (dev profile, shared with the tests) and prints
# figures: API latency for known vs unknown users, and the card unblock sequence (APDUs, time).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -d ui/dist ] || npm run build --silent
cargo build --workspace --examples --bins --locked
echo "== API timing: known vs unknown users"
./target/debug/examples/timing
echo
echo "== Card unblock sequence"
./target/debug/examples/unblock_bench
