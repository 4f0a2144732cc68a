#!/usr/bin/env bash
# The run command: builds everything, sets up the demo tenant in .ea-demo/ (SQLite), serves it on
# http://127.0.0.1:8080 and opens the desktop app against it. Codes "sent" by SMS or email are
# written to .ea-demo/messages.log. Closing the app stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh run
. scripts/env.sh

listen=${EA_LISTEN:-127.0.0.1:8080}
data=.ea-demo
npm run build --silent
cargo build --workspace --locked
# The virtual card for pcscd (feature `testkit`: never part of the desktop app).
cargo build -p ea-card --features testkit --bin ea-virtual-card --locked
mkdir -p "$data"
./target/debug/ea-server --data-dir "$data" demo --codes-file "$data/messages.log"

./target/debug/ea-server --data-dir "$data" serve --listen "$listen" --dev-sink "$data/messages.log" &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

# The demo card: alice's, its PIN blocked, in pcscd's virtual reader (when vsmartcard is here).
card_note="No virtual card: install pcscd and vsmartcard-vpcd to try the card PIN unblock."
if [ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] && command -v pcscd >/dev/null 2>&1; then
  if ! pgrep -x pcscd >/dev/null 2>&1; then
    pcscd -f -a >"$data/pcscd.log" 2>&1 &
    pids+=($!)
    sleep 0.5
  fi
  ./target/debug/ea-virtual-card --state "$data/card.json" --pin-tries 0 >"$data/virtual-card.log" 2>&1 &
  pids+=($!)
  card_note="Virtual card EA5EC0DE00000001 (alice's, PIN blocked) is in reader \"Virtual PCD 00 00\"; its state: $data/card.json"
fi
# The QR path: carol's card is in no reader; a vSEC:CMS-style QR code of its serial and a fresh
# challenge is written here and offered to the app as its camera.
challenge=$(python3 -c 'import secrets; print(secrets.token_hex(16).upper())')
qr_link="vsec-ea://card-unblock?serial=EA5EC0DE00000003&challenge=$challenge&alg=aes&tenant=demo"
./target/debug/ea-scan --make "$qr_link" "$data/carol-card-qr.png"
sleep 1

cat <<TXT

The server listens on http://$listen (API description: http://$listen/v1/openapi.json).
Log in as alice, bob or carol; codes arrive in:  tail -f $data/messages.log
$card_note
QR path: "Scan a QR code from vSEC:CMS" uses $data/carol-card-qr.png as the camera (carol's card,
a fresh challenge); or paste the link, or open it while the app runs:
  $qr_link

TXT
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$(uname)" = Darwin ]; then
  EA_SERVER_URL="http://$listen" EA_TENANT=demo EA_CAMERA="file:$PWD/$data/carol-card-qr.png" \
    EA_REGISTER_SCHEME=1 ./target/debug/emergency-access
else
  echo "No display: the desktop app cannot open here; the server keeps running (Ctrl-C stops it)."
  wait "${pids[0]}"
fi
