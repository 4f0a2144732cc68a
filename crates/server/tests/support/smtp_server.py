"""A real SMTP server for the end-to-end tests (aiosmtpd), requiring STARTTLS.

Usage: smtp_server.py PORT CERT KEY OUTDIR
Each accepted message is written to OUTDIR/<n>.eml as received, and to OUTDIR/<n>.decoded as a
mail reader shows it (Python's email package: the subject and the text decoded, with the MIME
type and charset the message declared); "ready" is printed once listening.
"""

import email
import email.policy
import pathlib
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, outdir: pathlib.Path):
        self.outdir = outdir
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        tls = "yes" if session.ssl else "no"
        header = f"X-Test-Rcpt: {','.join(envelope.rcpt_tos)}\nX-Test-Tls: {tls}\n"
        tmp = self.outdir / f".{self.count}.tmp"
        tmp.write_bytes(header.encode() + envelope.content)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        decoded = (
            f"Subject: {msg['subject']}\n"
            f"MIME-Version: {msg['mime-version']}\n"
            f"Type: {msg.get_content_type()}; charset={msg.get_content_charset()}\n\n"
            f"{msg.get_content()}"
        )
        dec = self.outdir / f".{self.count}.dec"
        dec.write_text(decoded, encoding="utf-8")
        dec.rename(self.outdir / f"{self.count}.decoded")
        tmp.rename(self.outdir / f"{self.count}.eml")
        return "250 OK"


def main() -> None:
    port, cert, key, outdir = int(sys.argv[1]), sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
    outdir.mkdir(parents=True, exist_ok=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    controller = Controller(
        SaveToDir(outdir),
        hostname="127.0.0.1",
        port=port,
        tls_context=ctx,
        require_starttls=True,
        auth_require_tls=True,
    )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
