#!/usr/bin/env bash
# The benchmark command: builds the examples (dev profile, shared with the tests) and prints
# figures: API latency for known vs unknown users, the card unblock sequence (APDUs, time), and
# (release build) QR decoding per frame and from the first frame with a code to the link.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
[ -d ui/dist ] || npm run build --silent
cargo build --workspace --examples --bins --locked
cargo build -p ea-card --features testkit --bin ea-virtual-card --example unblock_bench --locked
echo "== API timing: known vs unknown users"
./target/debug/examples/timing
echo
echo "== Card unblock sequence"
./target/debug/examples/unblock_bench
echo
echo "== QR path (release): decode per frame, first code frame to decoded link"
cargo run --release --locked -q -p ea-scan --example scan_bench
