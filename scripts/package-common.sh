# What the server's and the desktop app's packages share (sourced by package-server.sh and
# package-desktop.sh): the project's version, the build's date, the Debian documentation and the
# dependencies computed from a binary's libraries.

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
maintainer='Emergency Access maintainers <maintainers@emergency-access.org>'
# The last commit's time (or SOURCE_DATE_EPOCH), so the same tree gives the same packages.
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# package_docs DOC_DIR PACKAGE: the upstream changelog, a Debian changelog and the copyright file.
package_docs() {
  local doc=$1 package=$2
  install -d "$doc"
  gzip -9n < CHANGELOG.md > "$doc/changelog.gz"
  {
    printf '%s (%s-1) unstable; urgency=medium\n\n' "$package" "$version"
    printf '  * Packaged from the project'"'"'s own tree; changes in changelog.gz.\n\n'
    printf ' -- %s  %s\n' "$maintainer" "$(date -R -d @"$epoch")"
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
}

# shlib_depends WORK_DIR PACKAGE BINARY: the Depends the binary's libraries call for.
shlib_depends() {
  local work=$1 package=$2 binary=$3 depends
  mkdir -p "$work/shlibs/debian"
  printf 'Source: emergency-access\n\nPackage: %s\nArchitecture: any\n' "$package" > "$work/shlibs/debian/control"
  depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$binary" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  [ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies for $binary" >&2; return 1; }
  printf '%s\n' "$depends"
}
