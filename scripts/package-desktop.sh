#!/usr/bin/env bash
# Builds the desktop app's Linux packages from a built app binary:
#   ./scripts/package-desktop.sh [BINARY] [OUT_DIR]
# (default target/release/emergency-access into target/linux-packages): a .deb and an .rpm with
# the binary stripped, dependencies computed from the libraries it links (dpkg-shlibdeps; rpm's
# own find-requires), the desktop entry named after the app identifier registering the vsec-ea
# and emergency-access schemes, the icons, an AppStream metainfo file, the copyright and the
# changelog. (Tauri's bundler still makes the AppImage, .msi and .dmg.)
set -euo pipefail
# Files in the packages are world-readable whatever the caller's umask.
umask 022
cd "$(dirname "$0")/.."
bin=${1:-target/release/emergency-access}
out=${2:-target/linux-packages}
[ -x "$bin" ] || { echo "no app binary at $bin: build it first (npm run tauri build -- --no-bundle)" >&2; exit 1; }
id=org.emergency-access.desktop
source scripts/package-common.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The tree both packages install.
tree=$work/tree
install -D -m 0755 "$bin" "$tree/usr/bin/emergency-access"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$tree/usr/bin/emergency-access"
install -D -m 0644 "src-tauri/linux/$id.desktop" "$tree/usr/share/applications/$id.desktop"
install -D -m 0644 "src-tauri/linux/$id.metainfo.xml" "$tree/usr/share/metainfo/$id.metainfo.xml"
for size in 32x32 64x64 128x128; do
  install -D -m 0644 "icons/$size.png" "$tree/usr/share/icons/hicolor/$size/apps/$id.png"
done
install -D -m 0644 "icons/128x128@2x.png" "$tree/usr/share/icons/hicolor/256x256/apps/$id.png"

license_text="Copyright 2026 Emergency Access contributors
Licensed under the Apache License, Version 2.0."

# --- .deb
root=$work/deb
cp -a "$tree" "$root"
doc=$root/usr/share/doc/emergency-access
install -d "$root/DEBIAN"
package_docs "$doc" emergency-access
install -D -m 0644 src-tauri/linux/lintian-overrides "$root/usr/share/lintian/overrides/emergency-access"
depends=$(shlib_depends "$work" emergency-access "$root/usr/bin/emergency-access")
arch=$(dpkg --print-architecture)
cat > "$root/DEBIAN/control" <<CONTROL
Package: emergency-access
Version: $version-1
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends, pcscd
Section: utils
Priority: optional
Homepage: https://github.com/emergency-access/emergency-access
Description: regain access to an account after losing credentials
 Guides a locked-out person through the verification their organisation
 defined (text message and e-mail codes, security questions, authenticator
 codes), then resets their password, unblocks their account or smart card PIN
 over PC/SC, or issues an emergency access code.
CONTROL
deb=$out/emergency-access_${version}-1_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

# --- .rpm
top=$work/rpm
mkdir -p "$top"/{BUILD,RPMS,SOURCES,SPECS,BUILDROOT}
cp -a "$tree" "$top/tree"
gzip -9n < CHANGELOG.md > "$top/CHANGELOG.gz"
printf '%s\n' "$license_text" > "$top/LICENSE"
cat > "$top/SPECS/emergency-access.spec" <<SPEC
Name:           emergency-access
Version:        $version
Release:        1
Summary:        Regain access to an account after losing credentials
License:        Apache-2.0
Group:          Applications/System
Packager:       $maintainer
URL:            https://github.com/emergency-access/emergency-access
Requires:       pcsc-lite
%global debug_package %{nil}
%global __strip /bin/true

%description
Guides a locked-out person through the verification their organisation
defined (text message and e-mail codes, security questions, authenticator
codes), then resets their password, unblocks their account or smart card PIN
over PC/SC, or issues an emergency access code.

%install
cp -a $top/tree/. %{buildroot}/
install -D -m 0644 $top/LICENSE %{buildroot}%{_defaultlicensedir}/%{name}/LICENSE
install -D -m 0644 $top/CHANGELOG.gz %{buildroot}%{_defaultdocdir}/%{name}/CHANGELOG.gz

%files
%license %{_defaultlicensedir}/%{name}/LICENSE
%doc %{_defaultdocdir}/%{name}/CHANGELOG.gz
%{_bindir}/emergency-access
%{_datadir}/applications/$id.desktop
%{_datadir}/metainfo/$id.metainfo.xml
%{_datadir}/icons/hicolor/*/apps/$id.png

%changelog
* $(date -u -d @"$epoch" '+%a %b %d %Y') $maintainer - $version-1
- Packaged from the project's own tree.
SPEC
rpmbuild --quiet --define "_topdir $top" --define "_rpmdir $out" -bb "$top/SPECS/emergency-access.spec"
find "$out" -name "emergency-access-$version-1*.rpm" -newer "$top/SPECS/emergency-access.spec" -print
