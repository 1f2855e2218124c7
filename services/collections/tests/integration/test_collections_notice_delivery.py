"""Notices delivered by the notice sender, on PostgreSQL and Kafka: the service runs in-process
with its workers, and a real SMTP server (aiosmtpd) started by the test receives the e-mails; a
formal notice's PDF is read back from its route."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

import pypdf
import pytest
from collections_harness import (
    AGENT,
    Collections,
    invoice_issued,
    problem_fields,
    registration,
    running_collections,
)

from coulisse.collections.application import rates
from coulisse.contracts.customer import Address, CustomerRegistered
from coulisse.ops.testing import DatabaseFactory, SmtpServer
from coulisse.platform.testing import eventually

pytestmark = pytest.mark.integration

DUE = date(2026, 1, 16)
RUN_ON = date(2026, 1, 23)
NBSP = "\u00a0"


@pytest.fixture
async def sending(
    make_database: DatabaseFactory, kafka_bootstrap: str, smtp_server: SmtpServer
) -> AsyncIterator[Collections]:
    """Collections with its relay and workers, its notice sender pointed at the test's server."""
    url = await make_database("collections")
    async with running_collections(
        url,
        kafka_bootstrap=kafka_bootstrap,
        roles="api,relay,workers",
        env={**smtp_server.environment(), "COULISSE_NOTICE_POLL_SECONDS": "0.1"},
    ) as found:
        assert "notice-sender" in [task.get_name() for task in found.runtime.worker_tasks]
        yield found


def with_address(customer_id: UUID) -> CustomerRegistered:
    registered: CustomerRegistered = registration(customer_id).model_copy(
        update={
            "display_name": "Menuiserie Lefèvre SARL",
            "address": Address(
                line1="14 avenue Jean Jaurès", postal_code="69007", city="Lyon", country="FR"
            ),
        }
    )
    return registered


async def read_notice(collections: Collections, notice_id: str) -> dict[str, Any]:
    response = await collections.client.get(f"/v1/notices/{notice_id}", headers=AGENT)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def delivered(collections: Collections, notice_id: str, status: str) -> dict[str, Any]:
    async def done() -> bool:
        found: str = (await read_notice(collections, notice_id))["delivery_status"]
        return found == status

    await eventually(done, what=f"notice {notice_id} {status}", timeout=30)
    return await read_notice(collections, notice_id)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


async def test_an_email_notice_arrives_and_a_formal_notice_is_a_pdf(
    sending: Collections, smtp_server: SmtpServer
) -> None:
    inbox = smtp_server
    collections = sending
    mailed, formal = uuid4(), uuid4()
    await collections.deliver(with_address(mailed))
    await collections.deliver(with_address(formal))
    # The second customer goes straight to a formal notice a week after the due date.
    own = await collections.client.put(
        f"/v1/customers/{formal}/dunning",
        json={
            "policy": {
                "levels": [
                    {
                        "days": 7,
                        "channel": "formal_notice",
                        "name": "Mise en demeure",
                        "assesses": ["recovery_indemnity"],
                    }
                ]
            }
        },
        headers=AGENT,
    )
    assert own.status_code == 200, own.text
    overdue = invoice_issued(mailed, "1000.00", due_date=DUE)
    unpaid = invoice_issued(formal, "2400.00", vat="400.00", due_date=DUE)
    await collections.deliver(overdue)
    await collections.deliver(unpaid)

    collections.on(RUN_ON)
    response = await collections.run(RUN_ON)
    assert response.status_code == 201, response.text
    notices = {n["customer_id"]: n for n in response.json()["notices"]}
    email_notice, formal_notice = notices[str(mailed)], notices[str(formal)]
    assert (email_notice["channel"], formal_notice["channel"]) == ("email", "formal_notice")

    # The e-mail, as the SMTP server received it.
    read = await delivered(collections, email_notice["id"], "sent")
    message_id = f"<notice-{email_notice['id']}@collections.coulisse.local>"
    assert read["message_id"] == message_id and read["delivered_at"] is not None
    [mail] = inbox.mails()
    assert mail.recipients == ["compta@lefevre.example.fr"]
    assert mail.sender == "recouvrement@coulisse-demo.example"
    message = mail.message
    assert message["To"].addresses[0].addr_spec == "compta@lefevre.example.fr"
    assert message["Message-ID"].strip() == message_id
    assert message["Subject"].startswith("Relance de paiement")
    assert overdue.number in message["Subject"]
    text = message.get_body(("plain",))
    assert isinstance(text, EmailMessage)
    body = str(text.get_content()).replace(NBSP, " ")
    assert overdue.number in body and "1 000,00 €" in body and "7 jours" in body
    assert "07/02/2026" in body  # fifteen days after the document's date
    stored = await collections.client.get(
        f"/v1/notices/{email_notice['id']}/document", headers=AGENT
    )
    assert stored.status_code == 200 and stored.headers["content-type"] == "message/rfc822"
    assert stored.content == mail.content

    # The formal notice: a PDF ready to post, with every figure; no e-mail for it.
    read = await delivered(collections, formal_notice["id"], "ready_to_post")
    assert read["message_id"] is None
    document = await collections.client.get(
        f"/v1/notices/{formal_notice['id']}/document", headers=AGENT
    )
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == "application/pdf"
    async with collections.runtime.uow_factory() as uow:
        rate = await rates.penalty_rate_on(uow, formal, RUN_ON)
    assert rate is not None
    text_of_pdf = pdf_text(document.content)
    for expected in (
        "MISE EN DEMEURE DE PAYER",
        "Menuiserie Lefèvre SARL",
        "69007 Lyon",
        unpaid.number,
        "16/01/2026",
        "2 400,00 €",
        "7 jours",
        f"Taux annuel des pénalités de retard : {rate.rate:.2f}".replace(".", ","),
        "Indemnité forfaitaire pour frais de recouvrement : 40,00 €",
        "Date limite de paiement : 31/01/2026",
    ):
        assert expected in text_of_pdf, expected
    assert len(inbox.mails()) == 1

    run = await collections.client.get(f"/v1/dunning/runs/{response.json()['id']}", headers=AGENT)
    assert {n["delivery_status"] for n in run.json()["notices"]} == {"sent", "ready_to_post"}

    unknown = await collections.client.get(f"/v1/notices/{uuid4()}/document", headers=AGENT)
    assert unknown.status_code == 404 and problem_fields(unknown) == ["path.notice_id"]
