#!/usr/bin/env bash
# Checks the packages. The server's: built from the debug binary, passed by lintian (no error),
# installed with dpkg into a throw-away root, its systemd unit verified by systemd-analyze (no
# complaint at all), and the installed server started there until it answers /readyz, then
# stopped by SIGTERM. The desktop app's .deb and .rpm: passed by lintian and rpmlint (no error),
# the desktop entry (named after the app identifier, registering the vsec-ea scheme) by
# desktop-file-validate, the AppStream metainfo by appstreamcli, dependencies computed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/ea-packages.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

deb=$(./scripts/package-server.sh target/debug/ea-server "$work/deb")
echo "built $deb"
lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1 | grep -v 'root privileges' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || { echo "lintian found errors in $deb" >&2; exit 1; }

root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# libc and friends are the host's: dependencies are checked by lintian and dpkg-shlibdeps above.
dpkg --root="$root" --force-depends --force-script-chrootless -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; exit 1; }
dpkg --root="$root" -L ea-server | grep -qx /usr/lib/systemd/system/ea-server.service
[ -x "$root/usr/bin/ea-server" ] || { echo "no /usr/bin/ea-server in the package" >&2; exit 1; }
if file "$root/usr/bin/ea-server" | grep -q 'not stripped'; then echo "ea-server is not stripped" >&2; exit 1; fi

# The unit, with the binary where this root has it: any remark is a failure.
mkdir -p "$work/unit"
sed "s#/usr/bin/ea-server#$root/usr/bin/ea-server#g" "$root/usr/lib/systemd/system/ea-server.service" \
  > "$work/unit/ea-server.service"
remarks=$(systemd-analyze verify "$work/unit/ea-server.service" 2>&1 || true)
if [ -n "$remarks" ]; then
  echo "systemd-analyze verify: $remarks" >&2
  exit 1
fi
echo "systemd-analyze verify: no remark"

# The installed server, with its configuration as an administrator would finish it.
umask 077
head -c 32 /dev/urandom | base64 > "$work/kek"
sed "s#^kek_file = .*#kek_file = \"$work/kek\"#" "$root/etc/emergency-access/server.toml" > "$work/server.toml"
"$root/usr/bin/ea-server" config check "$work/server.toml"
"$root/usr/bin/ea-server" --config "$work/server.toml" --data-dir "$work/data" \
  serve --listen 127.0.0.1:0 > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/out")
[ -n "$url" ] || { cat "$work/log" >&2; exit 1; }
ready=$(curl -sf "$url/readyz")
echo "readyz: $ready"
[ "$ready" = '{"status":"ok","database":"ok","sms":null,"email":null}' ]
kill -TERM "$pid"
wait "$pid"
pid=""
echo "the installed server answered /readyz and stopped on SIGTERM"

# The desktop app's packages.
mapfile -t built < <(./scripts/package-desktop.sh target/debug/emergency-access "$work/desktop")
deb=${built[0]}
rpm=${built[1]}
echo "built $deb and $rpm"
lintian --fail-on error "$deb" >"$work/lintian.log" 2>&1 || { cat "$work/lintian.log" >&2; exit 1; }
grep -v 'root privileges' "$work/lintian.log" || true
rpmlint -c src-tauri/linux/rpmlint.toml "$rpm" >"$work/rpmlint.log" 2>&1 || true
grep -E ': [EW]: |errors,' "$work/rpmlint.log"
grep -q ' 0 errors,' "$work/rpmlint.log" || { cat "$work/rpmlint.log" >&2; exit 1; }
id=org.emergency-access.desktop
dpkg-deb -x "$deb" "$work/desktop-root"
entry=$work/desktop-root/usr/share/applications/$id.desktop
desktop-file-validate "$entry"
grep -q '^MimeType=.*x-scheme-handler/vsec-ea;' "$entry"
appstreamcli validate --no-net --pedantic "$work/desktop-root/usr/share/metainfo/$id.metainfo.xml" >/dev/null
if file "$work/desktop-root/usr/bin/emergency-access" | grep -q 'not stripped'; then
  echo "emergency-access is not stripped" >&2
  exit 1
fi
dpkg-deb -f "$deb" Depends | grep -q 'libwebkit2gtk-4.1-0'
rpm -qpR "$rpm" 2>/dev/null | grep -q 'libwebkit2gtk-4.1'
echo "the desktop packages pass lintian and rpmlint; entry, metainfo, stripped binary, dependencies"
