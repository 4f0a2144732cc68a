#!/usr/bin/env python3
"""Checks deploy/: the compose file runs two servers on PostgreSQL behind a proxy, each without
privileges and with its secrets as files; the servers' configuration passes `ea-server config
check` (its secret paths pointed at stand-ins); the image is built in one stage and run in another
as a user that is not root. Usage: check-deploy.py EA_SERVER_BINARY"""
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
binary = sys.argv[1]
failures = []


def expect(cond, what):
    if not cond:
        failures.append(what)


compose = yaml.safe_load((root / "deploy/compose.yaml").read_text())
services = compose["services"]
servers = [n for n, s in services.items() if s.get("image") == "emergency-access/ea-server"]
expect(len(servers) == 2, f"two servers, found {servers}")
expect("postgres" in services.get("db", {}).get("image", ""), "PostgreSQL as db")
for name in servers:
    s = services[name]
    expect(s.get("read_only") is True, f"{name}: read-only root")
    expect(s.get("cap_drop") == ["ALL"], f"{name}: no capabilities")
    expect("no-new-privileges:true" in s.get("security_opt", []), f"{name}: no-new-privileges")
    expect(s.get("build", {}).get("dockerfile") == "deploy/Containerfile", f"{name}: built from deploy/Containerfile")
    expect(set(s.get("secrets", [])) >= {"kek", "database-url"}, f"{name}: secrets as files")
    expect("ports" not in s, f"{name}: reached only through the proxy")
proxy = services.get("proxy", {})
expect(proxy.get("ports") == ["443:443"], "the proxy is the only published port")
caddy = compose["configs"]["caddyfile"]["content"]
for name in servers:
    expect(f"{name}:8080" in caddy, f"the proxy sends to {name}")
expect("health_uri /readyz" in caddy, "the proxy asks /readyz")
for secret in compose["secrets"].values():
    expect("file" in secret, "secrets come from files")

# The servers' configuration, as `ea-server config check` sees it.
config = compose["configs"]["server"]["content"]
expect("password" not in config, "no password in the configuration")
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "kek").write_text("c2VjcmV0LWtleS1mb3ItdGhlLWNoZWNrLTMyYnl0ZSE=\n")
    (tmp / "database-url").write_text("postgres://ea@db/ea\n")
    (tmp / "server.toml").write_text(config.replace("/run/secrets/", f"{tmp}/"))
    r = subprocess.run([binary, "config", "check", str(tmp / "server.toml")], capture_output=True, text=True)
    expect(r.returncode == 0, f"config check: {r.stdout}{r.stderr}")

image = (root / "deploy/Containerfile").read_text()
stages = re.findall(r"^FROM\s+(\S+)", image, re.M)
expect(len(stages) == 2, f"two stages, found {stages}")
users = re.findall(r"^USER\s+(\S+)", image, re.M)
expect(users and not users[-1].startswith(("root", "0:", "0")), f"runs as a user that is not root: {users}")

if failures:
    print("deploy/ check failed:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"deploy/: {len(servers)} servers on PostgreSQL behind the proxy, unprivileged, secrets as files; configuration checked")
