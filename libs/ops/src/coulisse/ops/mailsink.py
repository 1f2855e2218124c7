"""A local SMTP sink: every mail it receives is kept as an `.eml` file, and nothing is sent on.

`coulisse up` runs it under supervisord (`python -m coulisse.ops.mailsink --port 2525 --dir
.cache/run/mail`) and points the collections service's notice sender at it; `coulisse mails`
lists what arrived. Each file is the message as received, after a `Return-Path` and one
`Delivered-To` per envelope recipient (what a mailbox would add). Files are named by the
instant they arrived, so the names sort in arrival order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiosmtpd.smtp import SMTP, Envelope, Session

from coulisse.platform.clock import Clock, default_clock

DEFAULT_PORT = 2525
HOSTNAME = "mailsink.coulisse.local"


@dataclass
class MailFolder:
    """Where the received mails are written, one file each."""

    path: Path
    clock: Clock

    def store(self, sender: str, recipients: Sequence[str], content: bytes) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        arrived = self.clock.now()
        name = f"{arrived:%Y%m%dT%H%M%S%f}-{uuid4().hex[:8]}.eml"
        trace = [f"Return-Path: <{sender}>"] + [f"Delivered-To: {r}" for r in recipients]
        data = ("\r\n".join(trace) + "\r\n").encode() + content
        # Written aside, then renamed: a reader never sees half a mail.
        partial = self.path / f".{name}.partial"
        partial.write_bytes(data)
        final = self.path / name
        os.replace(partial, final)
        return final


class SinkHandler:
    """aiosmtpd's handler: accepts every message and keeps it."""

    def __init__(self, folder: MailFolder) -> None:
        self.folder = folder
        self.received: list[Path] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        path = self.folder.store(
            envelope.mail_from or "", [str(r) for r in envelope.rcpt_tos], content
        )
        self.received.append(path)
        return f"250 OK kept as {path.name}"


async def serve(
    host: str,
    port: int,
    folder: MailFolder,
    *,
    stop: asyncio.Event,
    started: asyncio.Future[int] | None = None,
) -> None:
    """Accepts mail on `host:port` until `stop` is set; `started` gets the port listened on
    (useful with port 0)."""
    handler = SinkHandler(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname=HOSTNAME, enable_SMTPUTF8=True), host=host, port=port
    )
    try:
        if started is not None:
            started.set_result(server.sockets[0].getsockname()[1])
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m coulisse.ops.mailsink",
        description="A local SMTP server that keeps every mail as an .eml file.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--dir", type=Path, required=True, help="Where the .eml files go.")
    args = parser.parse_args(argv)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        started: asyncio.Future[int] = loop.create_future()
        task = asyncio.create_task(
            serve(
                args.host,
                args.port,
                MailFolder(args.dir, default_clock()),
                stop=stop,
                started=started,
            )
        )
        port = await started
        print(f"mailsink: SMTP on {args.host}:{port}, mails kept in {args.dir}", flush=True)
        await task

    asyncio.run(run())


# -- reading what arrived -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    path: Path
    date: str
    sender: str
    to: str
    subject: str
    message_id: str


def read_mail(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message: Any = BytesParser(policy=policy.default).parse(file)
    assert isinstance(message, EmailMessage)
    return message


def received_mails(folder: Path) -> list[ReceivedMail]:
    """The mails kept in `folder`, in arrival order."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = read_mail(path)
        found.append(
            ReceivedMail(
                path=path,
                date=str(message.get("Date", "")),
                sender=str(message.get("From", "")),
                to=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
                message_id=str(message.get("Message-ID", "")),
            )
        )
    return found


def readable(message: EmailMessage) -> str:
    """A mail as a person reads it: its headers, its text, and what is attached."""
    lines = [
        f"{name}: {message[name]}"
        for name in ("Date", "From", "To", "Subject", "Message-ID")
        if message[name] is not None
    ]
    body = message.get_body(preferencelist=("plain", "html"))
    lines.append("")
    if body is not None and isinstance(body, EmailMessage):
        lines.append(str(body.get_content()).rstrip())
    attachments = [
        f"  {part.get_filename() or '(no name)'} ({part.get_content_type()}, "
        f"{len(part.get_payload(decode=True) or b'')} bytes)"
        for part in message.iter_attachments()
    ]
    if attachments:
        lines += ["", "Attached:", *attachments]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
