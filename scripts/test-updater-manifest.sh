#!/usr/bin/env bash
# Checks scripts/updater-manifest.py on bundles signed for real with a throw-away key
# (`tauri signer`): the manifest pairs each platform with its own artifact and signature, and
# a missing signature, a signature by another key than the app trusts, a second artifact or a
# plain-http download address is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npx --no-install tauri signer generate --ci -p "" -w "$work/key" -f >/dev/null
bundle() { # PLATFORM FILE: a fake bundle for PLATFORM, signed
  mkdir -p "$work/$1"
  head -c 4096 /dev/urandom >"$work/$1/$2"
  npx --no-install tauri signer sign -f "$work/key" -p "" "$work/$1/$2" >/dev/null
}
bundle linux "Emergency Access_0.3.0_amd64.AppImage"
bundle windows "Emergency Access_0.3.0_x64_en-US.msi"
bundle macos "Emergency Access.app.tar.gz"
# What the bundle jobs leave beside the updater artifacts is not picked up.
touch "$work/linux/emergency-access_0.3.0_amd64.deb" "$work/macos/Emergency Access_0.3.0_aarch64.dmg"

manifest() {
  python3 scripts/updater-manifest.py --version 0.3.0 --notes "Fixes" --pubkey "$(cat "$work/key.pub")" \
    --base-url https://releases.example/v0.3.0 --out "$work/latest.json" "$@"
}
manifest linux-x86_64="$work/linux" windows-x86_64="$work/windows" darwin-aarch64="$work/macos" >/dev/null

python3 - "$work" <<'EOF'
import base64, json, pathlib, sys
work = pathlib.Path(sys.argv[1])
m = json.loads((work / "latest.json").read_text())
assert m["version"] == "0.3.0" and m["notes"] == "Fixes", m
assert m["pub_date"].endswith("Z"), m["pub_date"]
want = {
    "linux-x86_64": ("linux", "Emergency Access_0.3.0_amd64.AppImage"),
    "windows-x86_64": ("windows", "Emergency Access_0.3.0_x64_en-US.msi"),
    "darwin-aarch64": ("macos", "Emergency Access.app.tar.gz"),
}
assert set(m["platforms"]) == set(want), m["platforms"].keys()
for platform, (folder, name) in want.items():
    entry = m["platforms"][platform]
    sig = (work / folder / (name + ".sig")).read_text().strip()
    assert entry["signature"] == sig, platform
    # minisign's trusted comment names the file that was signed.
    assert f"file:{name}" in base64.b64decode(sig).decode(), platform
    assert entry["url"] == "https://releases.example/v0.3.0/" + name.replace(" ", "%20"), entry["url"]
print("updater manifest: 3 platforms, each with its own signed artifact")
EOF

refused() { # WHAT ARGS...: the manifest script must fail, saying WHAT
  local what=$1; shift
  if out=$("$@" 2>&1); then echo "accepted: $*" >&2; exit 1; fi
  grep -q -- "$what" <<<"$out" || { echo "expected '$what' in: $out" >&2; exit 1; }
}
# Signed by the throw-away key, not the one the app trusts (tauri.conf.json).
refused "but the app trusts key" python3 scripts/updater-manifest.py --version 0.3.0 \
  --base-url https://releases.example --out "$work/x.json" linux-x86_64="$work/linux"
rm "$work/windows/"*.sig
refused "has no signature" manifest windows-x86_64="$work/windows"
refused "is not a minisign key" manifest --pubkey bm90IGEga2V5 linux-x86_64="$work/linux"
refused "expected one updater artifact" manifest linux-x86_64="$work"
refused "must start with https://" python3 scripts/updater-manifest.py --version 0.3.0 \
  --base-url http://releases.example --out "$work/x.json" linux-x86_64="$work/linux"
refused "not a semantic version" python3 scripts/updater-manifest.py --version v3 \
  --base-url https://releases.example --out "$work/x.json" linux-x86_64="$work/linux"
echo "updater manifest: refusals ok"
