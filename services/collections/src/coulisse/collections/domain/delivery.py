"""Delivering a notice to the customer: how, when to try again, and what became of it.

An `email` notice is sent as an e-mail; a `letter` or `formal_notice` is made as a PDF, ready to
be posted; a `call` is made by the call center (the worklist): nothing is delivered. A notice
whose recipient is not known yet waits; an erased customer's notice is undeliverable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from coulisse.contracts.collections import DunningChannel

from .customers import ERASED_TEXT
from .recipients import NoticeRecipient

DeliveryStatus = Literal["pending", "sent", "ready_to_post", "undeliverable"]
"""What the sender made of a notice: `sent` (e-mail), `ready_to_post` (PDF), or not yet."""

NoticeDeliveryStatus = Literal[
    "pending", "sent", "ready_to_post", "undeliverable", "not_applicable"
]
"""As the notices' read model shows it: a call has nothing to deliver (`not_applicable`)."""

DocumentKind = Literal["email", "letter"]

EMAIL_TYPE = "message/rfc822"
PDF_TYPE = "application/pdf"

MESSAGE_ID_DOMAIN = "collections.coulisse.local"

FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


def message_id_of(notice_id: UUID) -> str:
    """The notice's e-mail `Message-ID`: the same at every attempt, so a mail server or the
    customer's client can tell a resent notice from a new one."""
    return f"<notice-{notice_id}@{MESSAGE_ID_DOMAIN}>"


def document_kind(channel: DunningChannel) -> DocumentKind | None:
    if channel == "email":
        return "email"
    if channel in ("letter", "formal_notice"):
        return "letter"
    return None


def retry_delay(
    attempts: int, first: timedelta = FIRST_RETRY, last: timedelta = LAST_RETRY
) -> timedelta:
    """After the `attempts`-th failure: doubling from `first`, never more than `last`."""
    if attempts <= 0:
        return first
    return min(last, first * (1 << min(attempts - 1, 30)))


# -- what to do with a notice -------------------------------------------------------------------


@dataclass(frozen=True)
class Wait:
    reason: str


@dataclass(frozen=True)
class Undeliverable:
    reason: str


@dataclass(frozen=True)
class SendEmail:
    to: str


@dataclass(frozen=True)
class MakeLetter:
    pass


Route = Wait | Undeliverable | SendEmail | MakeLetter


def route(channel: DunningChannel, recipient: NoticeRecipient | None, *, erased: bool) -> Route:
    """How the notice reaches its recipient, given what collections knows of them now."""
    kind = document_kind(channel)
    if kind is None:
        return Undeliverable(f"a {channel} notice has nothing to deliver")
    if erased:
        return Undeliverable("the customer was erased: their contact details are not kept")
    if recipient is None or not recipient.known:
        return Wait("the customer's contact details are not known yet")
    if kind == "email":
        if not recipient.email:
            return Undeliverable("the customer has no e-mail address")
        return SendEmail(recipient.email)
    if recipient.address is None:
        return Undeliverable("the customer has no postal address")
    return MakeLetter()


# -- what became of it --------------------------------------------------------------------------


@dataclass
class NoticeDelivery:
    """The delivery of one notice. Pending until sent (or made, for a letter) or given up."""

    notice_id: UUID
    status: DeliveryStatus = "pending"
    attempts: int = 0
    """Failed attempts to send so far (waiting for the recipient is not one)."""
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    message_id: str | None = None
    detail: str | None = None
    """Why it waits, why the last attempt failed, or why it is undeliverable."""
    media_type: str | None = None
    document: bytes | None = None
    """The e-mail as sent, or the PDF; None until made, and once the customer is erased."""
    document_erased: bool = False

    def due(self, now: datetime) -> bool:
        return self.status == "pending" and (
            self.next_attempt_at is None or self.next_attempt_at <= now
        )

    def wait(self, until: datetime, reason: str) -> None:
        self.next_attempt_at = until
        self.detail = reason

    def failed(self, now: datetime, error: str, first: timedelta = FIRST_RETRY) -> None:
        self.attempts += 1
        self.next_attempt_at = now + retry_delay(self.attempts, first)
        self.detail = error

    def sent(self, now: datetime, *, message_id: str, message: bytes) -> None:
        self._done("sent", now, media_type=EMAIL_TYPE, document=message)
        self.message_id = message_id

    def ready_to_post(self, now: datetime, pdf: bytes) -> None:
        self._done("ready_to_post", now, media_type=PDF_TYPE, document=pdf)

    def undeliverable(self, reason: str) -> None:
        self.status = "undeliverable"
        self.next_attempt_at = None
        self.detail = reason

    def erase(self) -> None:
        """The right to be forgotten: the document names the customer, it goes."""
        if self.document is not None:
            self.document = None
            self.document_erased = True
        if self.detail is not None and self.status != "undeliverable":
            self.detail = ERASED_TEXT  # an SMTP error may quote the address

    def _done(
        self, status: DeliveryStatus, now: datetime, *, media_type: str, document: bytes
    ) -> None:
        self.status = status
        self.delivered_at = now
        self.next_attempt_at = None
        self.detail = None
        self.media_type = media_type
        self.document = document


def read_status(channel: DunningChannel, delivery: NoticeDelivery | None) -> NoticeDeliveryStatus:
    """The status a notice shows: a call has none; a notice not handled yet is pending."""
    if document_kind(channel) is None:
        return "not_applicable"
    return "pending" if delivery is None else delivery.status
