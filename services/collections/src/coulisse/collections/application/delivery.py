"""Delivering the notices the runs recorded, one at a time, each in its own transaction.

`deliver_next` takes the oldest notice due (locked: another sender skips it), makes its
document, sends an e-mail or keeps a letter ready to post, and stores what was sent with the
notice's new status in the same commit. The guarantee is at least once: a crash after the SMTP
server accepted a mail and before the commit sends it again at the next attempt, with the same
`Message-ID` (`message_id_of`), which lets the recipient's mail system tell it is the same mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import parseaddr
from uuid import UUID

from coulisse.platform.clock import today
from coulisse.platform.domain import Conflict, DomainError, NotFound
from coulisse.platform.failpoints import failpoint

from ..adapters.mailer import Mailer, MailNotSent, MailRefused
from ..adapters.uow import CollectionsUnitOfWork
from ..domain.charges import RECOVERY_INDEMNITY
from ..domain.delivery import (
    MakeLetter,
    NoticeDelivery,
    Undeliverable,
    Wait,
    document_kind,
    message_id_of,
    route,
)
from ..domain.engine import Notice
from . import queries, rates
from .documents import Creditor, InvalidRecipient, NoticeDocument, render_email, render_pdf

log = logging.getLogger("coulisse.collections.delivery")


@dataclass(frozen=True)
class DeliveryOptions:
    creditor: Creditor
    sender: str
    """The `From` of the e-mails, e.g. `Coulisse Demo SAS <recouvrement@example.fr>`."""
    deadline_days: int = 15
    formal_notice_deadline_days: int = 8
    first_retry: timedelta = timedelta(seconds=30)
    recipient_wait: timedelta = timedelta(minutes=5)

    @property
    def envelope_sender(self) -> str:
        return parseaddr(self.sender)[1] or self.sender

    def deadline(self, notice: Notice, issued_on: date) -> date:
        days = (
            self.formal_notice_deadline_days
            if notice.channel == "formal_notice"
            else self.deadline_days
        )
        return issued_on + timedelta(days=days)


async def deliver_next(
    uow_factory: Callable[[], CollectionsUnitOfWork], mailer: Mailer, options: DeliveryOptions
) -> bool:
    """Handles the next notice due, committed on its own; False when none is due now."""
    async with uow_factory() as uow:
        picked = await uow.deliveries.next_due(uow.clock.now())
        if picked is None:
            return False
        row, delivery = picked
        [notice] = await uow.runs.notices_of([row])
        await _deliver(uow, notice, delivery, mailer, options)
        await uow.deliveries.save(delivery)
        await uow.commit()
        log.info(
            "notice %s (%s): %s%s",
            notice.notice_id,
            notice.channel,
            delivery.status,
            f" ({delivery.detail})" if delivery.detail else "",
        )
        return True


async def _deliver(
    uow: CollectionsUnitOfWork,
    notice: Notice,
    delivery: NoticeDelivery,
    mailer: Mailer,
    options: DeliveryOptions,
) -> None:
    now = uow.clock.now()
    # The customer's row lock orders this with the events that change or erase the recipient.
    customer = await uow.customers.get(notice.customer_id, for_update=True)
    recipient = await uow.recipients.get(notice.customer_id)
    decided = route(notice.channel, recipient, erased=customer is None or customer.erased)
    if isinstance(decided, Wait):
        delivery.wait(now + options.recipient_wait, decided.reason)
        return
    if isinstance(decided, Undeliverable):
        delivery.undeliverable(decided.reason)
        return
    assert recipient is not None and customer is not None
    try:
        issued_on = today(uow.clock)
        rate = await rates.penalty_rate_on(uow, notice.customer_id, issued_on)
        document = NoticeDocument(
            notice=notice,
            recipient=recipient,
            creditor=options.creditor,
            issued_on=issued_on,
            deadline=options.deadline(notice, issued_on),
            penalty_rate=None if rate is None else rate.rate,
            indemnity=RECOVERY_INDEMNITY if customer.kind == "company" else None,
        )
        if isinstance(decided, MakeLetter):
            delivery.ready_to_post(now, render_pdf(document))
            return
        message_id = message_id_of(notice.notice_id)
        message = render_email(
            document, sender=options.sender, to=decided.to, message_id=message_id, sent_at=now
        )
    except InvalidRecipient as exc:
        delivery.undeliverable(str(exc))
        return
    except Exception as exc:  # a document that cannot be made must not hold up the others
        log.exception("notice %s: its document cannot be made", notice.notice_id)
        delivery.failed(now, f"its document cannot be made: {exc}"[:500], options.first_retry)
        return
    try:
        await mailer.send(message, sender=options.envelope_sender, recipients=[decided.to])
        failpoint("collections.notice.sent")  # the crash tests' instant: sent, not recorded
    except MailRefused as exc:
        delivery.undeliverable(f"refused by the mail server: {exc}")
    except MailNotSent as exc:
        delivery.failed(now, f"not sent, will try again: {exc}", options.first_retry)
    else:
        delivery.sent(now, message_id=message_id, message=message)


# -- the document as delivered ------------------------------------------------------------------


class DocumentErased(DomainError):
    """The document was deleted with the customer's personal data."""

    status = 410
    title = "Gone"


@dataclass(frozen=True)
class StoredDocument:
    media_type: str
    content: bytes


async def stored_document(uow: CollectionsUnitOfWork, notice_id: UUID) -> StoredDocument:
    """The document a notice was delivered as, byte for byte as it was sent or made.

    Never made on demand: what is served is what the customer received (or will receive by
    post), dated the day it was made.
    """
    found = await queries.get_notice(uow, notice_id)
    if found is None:
        raise NotFound(f"no notice {notice_id}", field="path.notice_id")
    if document_kind(found.notice.channel) is None:
        raise NotFound(
            f"notice {notice_id} is a {found.notice.channel}: it has no document",
            field="path.notice_id",
        )
    delivery = await uow.deliveries.get(notice_id)
    if delivery is not None and delivery.document is not None and delivery.media_type:
        return StoredDocument(delivery.media_type, delivery.document)
    if delivery is not None and delivery.document_erased:
        raise DocumentErased(
            f"the document of notice {notice_id} was deleted when the customer was erased",
            field="path.notice_id",
        )
    if delivery is not None and delivery.status == "undeliverable":
        raise Conflict(
            f"notice {notice_id} is undeliverable ({delivery.detail}): no document was made",
            field="path.notice_id",
            delivery_status=delivery.status,
        )
    why = f" ({delivery.detail})" if delivery is not None and delivery.detail else ""
    raise Conflict(
        f"the document of notice {notice_id} is not made yet: its delivery is pending{why}",
        field="path.notice_id",
        delivery_status="pending",
    )
