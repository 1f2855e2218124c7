"""The notice sender: a background worker (the `workers` role) delivering the notices the runs
recorded. Started only when an SMTP server is configured (`COULISSE_SMTP_HOST`).

Several processes may run it at once: each notice is taken under a row lock that the others
skip. It never stops on a failure: a notice that cannot be sent waits for its next attempt
(doubling from `COULISSE_NOTICE_RETRY_SECONDS` up to an hour), and a database outage is waited
out the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from coulisse.platform.service import Runtime, Worker

from ..adapters.mailer import Mailer, SmtpMailer
from ..adapters.uow import CollectionsUnitOfWork
from ..application.delivery import DeliveryOptions, deliver_next
from ..application.documents import Creditor
from ..config import CollectionsSettings

log = logging.getLogger("coulisse.collections.notice_sender")

MAX_PAUSE_SECONDS = 60.0


class NoticeSender:
    name = "notice-sender"

    def __init__(
        self,
        uow_factory: Callable[[], CollectionsUnitOfWork],
        mailer: Mailer,
        options: DeliveryOptions,
        *,
        poll_seconds: float,
    ) -> None:
        self.uow_factory = uow_factory
        self.mailer = mailer
        self.options = options
        self.poll_seconds = poll_seconds

    async def run(self) -> None:
        """Delivers what is due, then sleeps a poll interval; until cancelled."""
        failures = 0
        while True:
            try:
                delivered = await deliver_next(self.uow_factory, self.mailer, self.options)
            except Exception:  # the database, most likely: wait and try again
                failures += 1
                pause = min(MAX_PAUSE_SECONDS, self.poll_seconds * 2**failures)
                log.exception("the notice sender failed; next try in %.1f s", pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            if not delivered:
                await asyncio.sleep(self.poll_seconds)


def options_of(settings: CollectionsSettings) -> DeliveryOptions:
    return DeliveryOptions(
        creditor=Creditor(
            name=settings.creditor_name,
            address=settings.creditor_address,
            siren=settings.creditor_siren,
            iban=settings.creditor_iban,
            bic=settings.creditor_bic,
        ),
        sender=settings.notice_from,
        deadline_days=settings.notice_deadline_days,
        formal_notice_deadline_days=settings.formal_notice_deadline_days,
        first_retry=timedelta(seconds=settings.notice_retry_seconds),
        recipient_wait=timedelta(seconds=settings.notice_recipient_wait_seconds),
    )


def workers(runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork]) -> Sequence[Worker]:
    settings = runtime.settings
    if settings.smtp_host is None:
        log.info("no SMTP server configured (COULISSE_SMTP_HOST): notices are not delivered")
        return []
    mailer = SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        security=settings.smtp_security,
        timeout_seconds=settings.smtp_timeout_seconds,
    )
    return [
        NoticeSender(
            runtime.uow_factory,
            mailer,
            options_of(settings),
            poll_seconds=settings.notice_poll_seconds,
        )
    ]
