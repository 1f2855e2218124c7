"""The local SMTP sink keeps every mail it receives as an `.eml` file, `coulisse mails` lists
and prints them, and `coulisse up` supervises the sink and points collections at it."""

from __future__ import annotations

import asyncio
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coulisse.ops import procs
from coulisse.ops.cli import app
from coulisse.ops.mailsink import MailFolder, received_mails, serve
from coulisse.ops.paths import Layout
from coulisse.ops.services import by_name
from coulisse.ops.stack import MAILSINK, Stack, State
from coulisse.platform.clock import SettableClock


def mail(number: int, to: str = "compta@lefevre.example.fr") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Coulisse Demo SAS <recouvrement@coulisse-demo.example>"
    message["To"] = f"Menuiserie Lefèvre <{to}>"
    message["Subject"] = f"Relance de paiement – facture F2025-{number:06d}"
    message["Message-ID"] = f"<notice-{number}@collections.coulisse.local>"
    message["Date"] = "Sun, 15 Feb 2026 09:00:00 +0000"
    message.set_content(f"Bonjour,\n\nLa facture F2025-{number:06d} reste impayée.\n")
    message.add_attachment(
        b"%PDF-1.3 fake", maintype="application", subtype="pdf", filename="a.pdf"
    )
    return message


def send(port: int, message: EmailMessage, recipients: list[str]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(
            message, from_addr="recouvrement@coulisse-demo.example", to_addrs=recipients
        )


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COULISSE_RUN_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "250")  # the table's columns unwrapped
    return tmp_path


async def test_the_sink_keeps_each_mail_and_the_cli_lists_and_prints_them(run_dir: Path) -> None:
    clock = SettableClock("2026-02-15T09:00:00+00:00")
    folder = MailFolder(run_dir / "mail", clock)
    stop = asyncio.Event()
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve("127.0.0.1", 0, folder, stop=stop, started=started))
    try:
        port = await started
        await asyncio.to_thread(send, port, mail(1), ["compta@lefevre.example.fr"])
        clock.advance(timedelta(seconds=1))
        await asyncio.to_thread(
            send, port, mail(2, "jeanne@martin.example"), ["jeanne@martin.example", "copie@b.fr"]
        )
    finally:
        stop.set()
        await server

    files = sorted((run_dir / "mail").glob("*.eml"))
    assert [f.name[:15] for f in files] == ["20260215T090000", "20260215T090001"]
    assert not list((run_dir / "mail").glob(".*"))  # no half-written file left
    second = files[1].read_bytes()
    assert second.startswith(
        b"Return-Path: <recouvrement@coulisse-demo.example>\r\n"
        b"Delivered-To: jeanne@martin.example\r\nDelivered-To: copie@b.fr\r\n"
    )
    found = received_mails(run_dir / "mail")
    assert [m.subject for m in found] == [
        "Relance de paiement – facture F2025-000001",
        "Relance de paiement – facture F2025-000002",
    ]
    assert found[0].message_id == "<notice-1@collections.coulisse.local>"

    listed = CliRunner().invoke(app, ["mails"])
    assert listed.exit_code == 0, listed.output
    for expected in (
        "F2025-000001",
        "F2025-000002",
        "jeanne@martin.example",
        "Sun, 15 Feb 2026 09:00:00 +0000",
        files[0].name,
        files[1].name,
    ):
        assert expected in listed.stdout, expected

    shown = CliRunner().invoke(app, ["mails", "--show", "2"])
    assert shown.exit_code == 0, shown.output
    assert "Subject: Relance de paiement – facture F2025-000002" in shown.stdout
    assert "La facture F2025-000002 reste impayée." in shown.stdout
    assert "a.pdf (application/pdf, 13 bytes)" in shown.stdout
    raw = CliRunner().invoke(app, ["mails", "--show", "1", "--raw"])
    assert raw.exit_code == 0 and raw.stdout.startswith("Return-Path: <recouvrement@")

    missing = CliRunner().invoke(app, ["mails", "--show", "3"])
    assert missing.exit_code == 1


def test_no_mail_yet_is_said_plainly(run_dir: Path) -> None:
    result = CliRunner().invoke(app, ["mails"])
    assert result.exit_code == 0
    assert "no mail received yet" in result.stderr


def test_the_sink_runs_as_a_program(tmp_path: Path) -> None:
    port = procs.free_port()
    folder = tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "coulisse.ops.mailsink", "--port", str(port), "--dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not procs.port_open(port):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the sink did not listen"
            time.sleep(0.1)
        send(port, mail(7), ["compta@lefevre.example.fr"])
        [kept] = folder.glob("*.eml")
        assert b"Subject: Relance de paiement" in kept.read_bytes()
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0]
    assert process.returncode == 0, output
    assert f"SMTP on 127.0.0.1:{port}".encode() in output


def test_up_supervises_the_sink_and_points_collections_at_it(tmp_path: Path) -> None:
    paths = Layout(tmp_path, tmp_path / "run")
    stack = Stack(paths, State(mail_port=2626))
    (tmp_path / "run").mkdir()
    programs = {p.name: p for p in stack.programs({})}
    sink = programs[MAILSINK]
    assert list(sink.command[1:]) == [
        "-m",
        "coulisse.ops.mailsink",
        "--port",
        "2626",
        "--dir",
        str(tmp_path / "run" / "mail"),
    ]
    assert stack.collections_environment(by_name("collections")) == {
        "COULISSE_SMTP_HOST": "127.0.0.1",
        "COULISSE_SMTP_PORT": "2626",
        "COULISSE_SMTP_SECURITY": "none",
        "COULISSE_DUNNING_DAILY_AT": "07:00",
    }
    assert stack.collections_environment(by_name("billing")) == {}
