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
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
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
gzip -9n < CHANGELOG.md > "$doc/changelog.gz"
{
  printf 'ea-server (%s-1) unstable; urgency=medium\n\n' "$version"
  printf '  * Packaged from the project'"'"'s own tree; changes in changelog.gz.\n\n'
  printf ' -- Emergency Access maintainers <maintainers@emergency-access.org>  %s\n' "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.Debian.gz"
cat > "$doc/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: emergency-access
Source: https://github.com/emergency-access/emergency-access

Files: *
Copyright: 2026 Emergency Access contributors
License: Apache-2.0

License: Apache-2.0
 On Debian systems, the full text of the Apache License, Version 2.0 can be
 found in /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
chmod 0644 "$doc/copyright"
printf '/etc/emergency-access/server.toml\n' > "$root/DEBIAN/conffiles"

# Dependencies from the libraries the binary links.
mkdir -p "$work/shlibs/debian"
printf 'Source: emergency-access\n\nPackage: ea-server\nArchitecture: any\n' > "$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$root/usr/bin/ea-server" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: ea-server
Version: $version-1
Architecture: $arch
Maintainer: Emergency Access maintainers <maintainers@emergency-access.org>
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
