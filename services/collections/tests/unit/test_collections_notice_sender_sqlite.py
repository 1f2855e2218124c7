"""The notice sender on SQLite, with a mailer that keeps what it is handed: which notices go out
and how, retries, a recipient learned late, an erasure, and the document route."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from collections_harness import AGENT, Collections, account_of, registration, running_collections

from coulisse.collections.adapters.mailer import MailNotSent, MailRefused
from coulisse.collections.application.delivery import deliver_next
from coulisse.collections.entrypoints.notice_sender import options_of
from coulisse.contracts.customer import Address, CustomerErased, CustomerRegistered

DUE = date(2026, 1, 16)


@dataclass
class KeptMail:
    message: bytes
    sender: str
    recipients: list[str]

    @property
    def parsed(self) -> EmailMessage:
        found = message_from_bytes(self.message, policy=policy.default)
        assert isinstance(found, EmailMessage)
        return found


@dataclass
class KeepingMailer:
    sent: list[KeptMail] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)
    """Raised, in order, by the next attempts."""

    async def send(self, message: bytes, *, sender: str, recipients: Sequence[str]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(KeptMail(message, sender, list(recipients)))


def registered_with_address(customer_id: UUID) -> CustomerRegistered:
    registered: CustomerRegistered = registration(customer_id).model_copy(
        update={
            "address": Address(
                line1="14 avenue Jean Jaurès", postal_code="69007", city="Lyon", country="FR"
            )
        }
    )
    return registered


async def deliver_all(collections: Collections, mailer: KeepingMailer) -> int:
    """Runs the sender until nothing is due; how many notices it handled."""
    options = options_of(collections.runtime.settings)
    handled = 0
    while await deliver_next(collections.runtime.uow_factory, mailer, options):
        handled += 1
    return handled


async def notice_of(collections: Collections, notice_id: str) -> dict[str, Any]:
    response = await collections.client.get(f"/v1/notices/{notice_id}", headers=AGENT)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def run_on(collections: Collections, day: date) -> list[dict[str, Any]]:
    collections.on(day)
    response = await collections.run(day)
    assert response.status_code == 201, response.text
    notices: list[dict[str, Any]] = response.json()["notices"]
    return notices


async def test_notices_are_mailed_made_as_pdf_retried_and_erased(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'collections.sqlite'}"
    async with running_collections(url) as collections:
        customer_id = uuid4()
        await collections.deliver(registered_with_address(customer_id))
        issued = await collections.invoice(customer_id, "1000.00", due_date=DUE)
        mailer = KeepingMailer()

        [first] = await run_on(collections, date(2026, 1, 13))
        assert first["delivery_status"] == "pending" and first["channel"] == "email"
        waiting = await collections.client.get(f"/v1/notices/{first['id']}/document", headers=AGENT)
        assert waiting.status_code == 409, waiting.text
        assert waiting.json()["errors"][0]["field"] == "path.notice_id"

        assert await deliver_all(collections, mailer) == 1
        [mail] = mailer.sent
        assert mail.recipients == ["compta@lefevre.example.fr"]
        assert mail.sender == "recouvrement@coulisse-demo.example"
        message = mail.parsed
        assert message["Message-ID"].strip() == f"<notice-{first['id']}@collections.coulisse.local>"
        assert message["Subject"].startswith("Rappel d'échéance")
        read = await notice_of(collections, first["id"])
        assert read["delivery_status"] == "sent"
        assert read["message_id"] == f"<notice-{first['id']}@collections.coulisse.local>"
        assert read["delivered_at"] is not None
        document = await collections.client.get(
            f"/v1/notices/{first['id']}/document", headers=AGENT
        )
        assert document.status_code == 200
        assert document.headers["content-type"] == "message/rfc822"
        assert document.content == mail.message  # the bytes handed to the server

        # A server that cannot be reached: the notice waits 30 s, then goes with the same id.
        [second] = await run_on(collections, date(2026, 1, 23))
        mailer.failures.append(MailNotSent("ConnectionRefusedError: 127.0.0.1:25"))
        assert await deliver_all(collections, mailer) == 1
        read = await notice_of(collections, second["id"])
        assert read["delivery_status"] == "pending"
        assert "ConnectionRefusedError" in read["delivery_detail"]
        collections.clock.advance(timedelta(seconds=29))
        assert await deliver_all(collections, mailer) == 0
        collections.clock.advance(timedelta(seconds=1))
        assert await deliver_all(collections, mailer) == 1
        assert (await notice_of(collections, second["id"]))["delivery_status"] == "sent"
        assert len(mailer.sent) == 2 and issued.number in mailer.sent[1].parsed["Subject"]

        # A call has nothing to deliver; a formal notice is made as a PDF, ready to post.
        [call] = await run_on(collections, date(2026, 1, 31))
        assert call["channel"] == "call" and call["delivery_status"] == "not_applicable"
        [formal] = await run_on(collections, date(2026, 2, 15))
        assert await deliver_all(collections, mailer) == 1
        assert len(mailer.sent) == 2  # letters are not mailed
        read = await notice_of(collections, formal["id"])
        assert read["delivery_status"] == "ready_to_post" and read["message_id"] is None
        pdf = await collections.client.get(f"/v1/notices/{formal['id']}/document", headers=AGENT)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        no_document = await collections.client.get(
            f"/v1/notices/{call['id']}/document", headers=AGENT
        )
        assert no_document.status_code == 404
        unknown = await collections.client.get(f"/v1/notices/{uuid4()}/document", headers=AGENT)
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")

        # The run as read now shows what the sender did.
        run = await collections.client.get(f"/v1/dunning/runs/{formal['run_id']}", headers=AGENT)
        assert run.json()["notices"][0]["delivery_status"] == "ready_to_post"

        # The erasure deletes the documents; what happened, and when, stays.
        await collections.deliver(
            CustomerErased(customer_id=customer_id, account_number=account_of(customer_id))
        )
        for notice_id in (first["id"], formal["id"]):
            gone = await collections.client.get(f"/v1/notices/{notice_id}/document", headers=AGENT)
            assert gone.status_code == 410, gone.text
        assert (await notice_of(collections, formal["id"]))["delivery_status"] == "ready_to_post"
        # A registration read again after the erasure brings nothing back.
        await collections.deliver(registered_with_address(customer_id))
        async with collections.runtime.uow_factory() as uow:
            assert await uow.recipients.get(customer_id) is None


async def test_a_notice_waits_for_its_recipient_and_an_erased_one_is_undeliverable(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'collections.sqlite'}"
    async with running_collections(url) as collections:
        late, erased, refused = uuid4(), uuid4(), uuid4()
        for customer_id in (late, erased, refused):
            await collections.invoice(customer_id, "300.00", due_date=DUE)
        await collections.register(refused)
        notices = {n["customer_id"]: n for n in await run_on(collections, date(2026, 1, 13))}
        mailer = KeepingMailer(failures=[MailRefused("550 5.1.1 mailbox unknown")])

        await collections.deliver(
            CustomerErased(customer_id=erased, account_number=account_of(erased))
        )
        assert await deliver_all(collections, mailer) == 3
        assert mailer.sent == []
        statuses = {
            customer_id: await notice_of(collections, notices[str(customer_id)]["id"])
            for customer_id in (late, erased, refused)
        }
        assert statuses[late]["delivery_status"] == "pending"
        assert (
            statuses[late]["delivery_detail"] == "the customer's contact details are not known yet"
        )
        assert statuses[erased]["delivery_status"] == "undeliverable"
        assert statuses[refused]["delivery_status"] == "undeliverable"
        assert "550 5.1.1" in statuses[refused]["delivery_detail"]
        refused_document = await collections.client.get(
            f"/v1/notices/{statuses[refused]['id']}/document", headers=AGENT
        )
        assert refused_document.status_code == 409
        assert refused_document.json()["delivery_status"] == "undeliverable"

        # The registration arrives; the waiting notice goes at its next look.
        await collections.register(late)
        assert await deliver_all(collections, mailer) == 0
        collections.clock.advance(timedelta(minutes=5))
        assert await deliver_all(collections, mailer) == 1
        [mail] = mailer.sent
        assert mail.recipients == ["compta@lefevre.example.fr"]
        assert (await notice_of(collections, statuses[late]["id"]))["delivery_status"] == "sent"


async def test_without_an_smtp_server_the_sender_is_not_started(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'collections.sqlite'}"
    for env in ({}, {"COULISSE_SMTP_HOST": " "}):
        async with running_collections(url, roles="api,workers", env=env) as collections:
            names = [task.get_name() for task in collections.runtime.worker_tasks]
            assert "notice-sender" not in names
    async with running_collections(
        url, roles="api,workers", env={"COULISSE_SMTP_HOST": "127.0.0.1"}
    ) as collections:
        names = [task.get_name() for task in collections.runtime.worker_tasks]
        assert "notice-sender" in names
