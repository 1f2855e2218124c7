"""Sending a message over SMTP (aiosmtplib), with the server's answer sorted in two: the message
or its recipient refused for good (5xx to RCPT or DATA: trying again will not help), or not sent
this time (anything else, including a refused sender or login: the settings, not the notice)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import aiosmtplib

SmtpSecurity = Literal["auto", "starttls", "tls", "none"]


class MailNotSent(Exception):
    """The server could not be reached or answered 4xx: try again later."""


class MailRefused(Exception):
    """The server refused the message or its recipient for good (5xx)."""


class Mailer(Protocol):
    async def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        """Hands `message` (with its headers, CRLF line ends) to the mail system."""
        ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    security: SmtpSecurity = "auto"
    timeout_seconds: float = 30.0

    async def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        try:
            await aiosmtplib.send(
                message,
                sender=sender,
                recipients=list(recipients),
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.security == "tls",
                start_tls={"auto": None, "starttls": True}.get(self.security, False),
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            if codes and all(500 <= code < 600 for code in codes):
                raise MailRefused(_describe(exc)) from exc
            raise MailNotSent(_describe(exc)) from exc
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as exc:
            if 500 <= exc.code < 600:
                raise MailRefused(_describe(exc)) from exc
            raise MailNotSent(_describe(exc)) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailNotSent(_describe(exc)) from exc


_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


def _describe(exc: Exception) -> str:
    # The server's answer often quotes the recipient's address: it is logged and stored, so it
    # is masked.
    return _ADDRESS.sub("<address>", f"{type(exc).__name__}: {exc}")[:500]
