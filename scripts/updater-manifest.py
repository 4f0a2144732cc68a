#!/usr/bin/env python3
"""Writes the updater's manifest (latest.json) for a release from the signed bundles.

    updater-manifest.py --version 0.3.0 --base-url URL --out latest.json PLATFORM=DIR...

Each PLATFORM (linux-x86_64, windows-x86_64, darwin-aarch64, darwin-x86_64, ...) names the
folder its bundle job left: it must hold exactly one updater artifact (an .AppImage, an .msi or
an .app.tar.gz) with its minisign signature beside it (the same name plus .sig), as
`tauri build` makes them when TAURI_SIGNING_PRIVATE_KEY is set. The app downloads
BASE_URL/<artifact name> and checks it against the signature and the public key in
tauri.conf.json before it installs anything; a bundle signed by another key than that one is
refused here, as the app would refuse it.
"""

import argparse
import base64
import datetime
import json
import pathlib
import re
import sys
import urllib.parse

ARTIFACTS = (".AppImage", ".msi", ".app.tar.gz")
PLATFORM = re.compile(r"^(linux|windows|darwin)-(x86_64|aarch64|i686|armv7)$")


def fail(message: str) -> None:
    print(f"updater-manifest: {message}", file=sys.stderr)
    sys.exit(1)


def key_id(minisign_text_b64: str, what: str) -> bytes:
    """The 8-byte key id in a minisign public key or signature, as tauri stores them (base64
    of the minisign text: a comment line, then base64 of algorithm, key id and key or
    signature)."""
    try:
        lines = base64.b64decode(minisign_text_b64, validate=True).decode().splitlines()
        raw = base64.b64decode(lines[1], validate=True)
    except (ValueError, IndexError):  # binascii.Error and UnicodeDecodeError among them
        fail(f"{what} is not a minisign key or signature")
    if len(raw) < 10:
        fail(f"{what} is not a minisign key or signature")
    return raw[2:10]


def artifact(platform: str, folder: pathlib.Path) -> dict:
    if not folder.is_dir():
        fail(f"{platform}: {folder} is not a folder")
    found = sorted(
        p for p in folder.rglob("*") if p.is_file() and p.name.endswith(ARTIFACTS)
    )
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        fail(f"{platform}: expected one updater artifact in {folder}, found {names}")
    bundle = found[0]
    sig = bundle.with_name(bundle.name + ".sig")
    if not sig.is_file():
        fail(f"{platform}: {bundle.name} has no signature ({sig.name}); "
             "was TAURI_SIGNING_PRIVATE_KEY set for the build?")
    signature = sig.read_text().strip()
    if not signature:
        fail(f"{platform}: {sig.name} is empty")
    return {"bundle": bundle, "signature": signature}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", required=True, help="the release's version, as in Cargo.toml")
    ap.add_argument("--base-url", required=True, help="where the release's files are downloaded")
    ap.add_argument("--notes", default="", help="release notes shown with the offer")
    ap.add_argument("--out", required=True, type=pathlib.Path)
    ap.add_argument("--pubkey", help="the public key the app trusts (default: "
                    "plugins.updater.pubkey in tauri.conf.json)")
    ap.add_argument("platforms", nargs="+", metavar="PLATFORM=DIR")
    args = ap.parse_args()

    if not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", args.version):
        fail(f"--version {args.version!r} is not a semantic version such as 1.2.3")
    if not args.base_url.startswith("https://"):
        fail("--base-url must start with https://: the app fetches updates over HTTPS only")
    if args.pubkey is None:
        conf = pathlib.Path(__file__).resolve().parent.parent / "tauri.conf.json"
        args.pubkey = json.loads(conf.read_text())["plugins"]["updater"]["pubkey"]
    trusted = key_id(args.pubkey, "the public key")
    platforms = {}
    for item in args.platforms:
        name, sep, folder = item.partition("=")
        if not sep or not PLATFORM.match(name):
            fail(f"{item!r}: expected PLATFORM=DIR with PLATFORM such as linux-x86_64")
        if name in platforms:
            fail(f"{name} given twice")
        found = artifact(name, pathlib.Path(folder))
        signed_by = key_id(found["signature"], f"{name}: the signature")
        if signed_by != trusted:
            # The app would refuse every update: a release signed with another key than the
            # one it was built to trust.
            fail(f"{name}: {found['bundle'].name} is signed by key "
                 f"{signed_by[::-1].hex().upper()}, but the app trusts key "
                 f"{trusted[::-1].hex().upper()} (plugins.updater.pubkey)")
        url = args.base_url.rstrip("/") + "/" + urllib.parse.quote(found["bundle"].name)
        platforms[name] = {"signature": found["signature"], "url": url}

    manifest = {
        "version": args.version,
        "notes": args.notes,
        "pub_date": datetime.datetime.now(datetime.timezone.utc)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        "platforms": platforms,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(args.out)
    print(f"{args.out}: {', '.join(platforms)}")


if __name__ == "__main__":
    main()
