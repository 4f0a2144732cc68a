#!/usr/bin/env bash
# The benchmark command: builds the examples (dev profile, shared with the tests) and prints figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --workspace --examples --locked
./target/debug/examples/timing
