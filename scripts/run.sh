#!/usr/bin/env bash
# The run command: builds the server, sets up the demo tenant in .ea-demo/ (SQLite) and serves it
# on http://127.0.0.1:8080, with SMS and email codes written to .ea-demo/messages.log.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"

listen=${EA_LISTEN:-127.0.0.1:8080}
data=.ea-demo
cargo build --workspace --locked
mkdir -p "$data"
./target/debug/ea-server --data-dir "$data" demo --codes-file "$data/messages.log"
cat <<TXT

Try it (another terminal):
  curl -s -X POST http://$listen/v1/sessions -H 'content-type: application/json' \\
       -d '{"tenant":"demo","username":"alice"}'
  then follow the API (http://$listen/v1/openapi.json); codes arrive in:  tail -f $data/messages.log

TXT
exec ./target/debug/ea-server --data-dir "$data" serve --listen "$listen" --dev-sink "$data/messages.log"
