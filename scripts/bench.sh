#!/usr/bin/env bash
# The benchmark command: builds the desktop app, an empty Tauri window (the reference), the
# server and the benchmark runner in release mode, then runs every figure (P1-P10) in a virtual
# display and prints one table; the same table as JSON in target/bench/latest.json (and as
# Markdown in target/bench/latest.md). Takes about 15 minutes once built; --quick runs a short
# version that checks the command works. Then the criterion micro-benchmarks (cargo bench),
# unless --no-criterion.
#   ./scripts/bench.sh [--quick] [--only P1,P5,...] [--no-criterion]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
. scripts/env.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

criterion=1
args=()
for a in "$@"; do
  case "$a" in
    --no-criterion) criterion=0 ;;
    *) args+=("$a") ;;
  esac
done

say "UI build (the desktop app embeds it)"
npm run build --silent
say "release builds: desktop app, empty window, server, benchmark runner, examples"
cargo build --release --locked -p emergency-access -p ea-empty-window -p ea-server -p ea-bench
cargo build --release --locked -p ea-card --features testkit --bin ea-virtual-card --example unblock_bench
cargo build --release --locked -p ea-scan --example scan_bench

say "figures (release builds; progress on standard error)"
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
  ./target/release/ea-bench --bin-dir target/release "${args[@]}"

say "the same answers for a known user and a name that does not exist (release, in process)"
cargo run --release --locked -q -p ea-server --example timing

if [ "$criterion" = 1 ]; then
  say "criterion: QR decoding, Argon2id, the authenticator check"
  cargo bench --locked -p ea-scan --bench decode -- --noplot
  cargo bench --locked -p ea-core --bench verify -- --noplot
fi
