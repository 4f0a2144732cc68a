#!/usr/bin/env bash
# Builds the server's Debian package from a built ea-server binary:
#   ./scripts/package-server.sh [BINARY] [OUT_DIR]
# (default target/release/ea-server into target/deb). The binary is stripped, its dependencies
# are computed from the libraries it links (dpkg-shlibdeps), and the package carries the
# hardened systemd unit, a configuration to start from (a conffile), the copyright and changelog.
set -euo pipefail
# Files in the packages are world-readable whatever the caller's umask.
umask 022
cd "$(dirname "$0")/.."
bin=${1:-target/release/ea-server}
out=${2:-target/deb}
[ -x "$bin" ] || { echo "no server binary at $bin: build it first (cargo build --release -p ea-server)" >&2; exit 1; }
source scripts/package-common.sh
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
doc=$root/usr/share/doc/ea-server

install -d "$root/DEBIAN" "$doc"
install -D -m 0755 "$bin" "$root/usr/bin/ea-server"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/ea-server"
install -D -m 0644 crates/server/packaging/ea-server.service "$root/usr/lib/systemd/system/ea-server.service"
install -D -m 0644 crates/server/packaging/server.toml "$root/etc/emergency-access/server.toml"
install -m 0644 README.md "$doc/README.md"
package_docs "$doc" ea-server
printf '/etc/emergency-access/server.toml\n' > "$root/DEBIAN/conffiles"

depends=$(shlib_depends "$work" ea-server "$root/usr/bin/ea-server")
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: ea-server
Version: $version-1
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Homepage: https://github.com/emergency-access/emergency-access
Description: Emergency Access verification server
 Verifies people who lost their credentials through the flows their
 organisation defined (SMS and e-mail codes, questions, authenticator codes),
 then lets them reset their password, unblock their smart card PIN or account,
 or get an emergency access code. Runs as a hardened systemd service.
CONTROL
mkdir -p "$out"
deb=$out/ea-server_${version}-1_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
