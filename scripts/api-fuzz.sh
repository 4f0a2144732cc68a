#!/usr/bin/env bash
# Runs Schemathesis against the API of a fresh demo server (SQLite in a temporary directory, or
# the PostgreSQL database EA_FUZZ_DATABASE names): every answer must be documented in the OpenAPI
# document, match its schema, and no schema-valid request may be refused as malformed, nor any
# answered with a 5xx. Called by the test command (once per store); EA_FUZZ_EXAMPLES bounds the
# cases per operation (default 25).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/ea-fuzz.XXXXXX)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The fuzzer sends every request from one address, far more than a person would: its budget per
# client source is raised so that the requests reach the handlers.
cat >"$dir/server.toml" <<'TOML'
[limits]
requests_per_source_per_minute = 1000000
validations_per_source_per_minute = 1000000
TOML
db=()
if [ -n "${EA_FUZZ_DATABASE:-}" ]; then db=(--database "$EA_FUZZ_DATABASE"); fi
./target/debug/ea-server --data-dir "$dir" "${db[@]}" demo --codes-file "$dir/messages.log" >"$dir/demo.txt"
./target/debug/ea-server --data-dir "$dir" "${db[@]}" --config "$dir/server.toml" serve --listen "127.0.0.1:$port" \
  --dev-sink "$dir/messages.log" >"$dir/server.log" 2>&1 &
server_pid=$!
export EA_FUZZ_URL="http://127.0.0.1:$port"
for _ in $(seq 50); do
  curl -sf "$EA_FUZZ_URL/healthz" >/dev/null && break
  sleep 0.2
done
EA_FUZZ_SESSION=$(curl -sf -X POST -H 'content-type: application/json' \
  -d '{"tenant":"demo","username":"alice"}' "$EA_FUZZ_URL/v1/sessions" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
EA_FUZZ_RP_KEY=$(grep -o 'ea_rp_[A-Za-z0-9_-]*' "$dir/demo.txt" | head -n 1)
export EA_FUZZ_SESSION EA_FUZZ_RP_KEY
cd "$dir"
"$OLDPWD/.venv/bin/schemathesis" --config-file "$OLDPWD/tests/api-fuzz/schemathesis.toml" \
  run "$EA_FUZZ_URL/v1/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance \
  --phases examples,coverage,fuzzing --max-examples "${EA_FUZZ_EXAMPLES:-25}" --seed 1 \
  --generation-deterministic --no-color
