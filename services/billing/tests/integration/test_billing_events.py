"""What billing publishes on `billing.events`, and what it does with the events it consumes."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest
import sqlalchemy as sa
from billing_calls import AGENT, balance, create_invoice, pay
from billing_harness import Billing

from coulisse.billing.adapters import tables
from coulisse.contracts.collections import FeeAssessed, ReceivableWrittenOff
from coulisse.contracts.topics import BILLING_EVENTS
from coulisse.platform import testing

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[4] / "libs" / "contracts" / "schemas"


def validate(event: dict[str, Any]) -> None:
    jsonschema.validate(event, json.loads((SCHEMAS / "cloudevent.json").read_text()))
    jsonschema.validate(event["data"], json.loads((SCHEMAS / f"{event['type']}.json").read_text()))


async def published(kafka_bootstrap: str, customer_id: UUID, count: int) -> list[dict[str, Any]]:
    records = await testing.read_topic(
        kafka_bootstrap,
        BILLING_EVENTS,
        keep=lambda r: r.key == str(customer_id).encode(),
        until=lambda found: len(found) >= count,
    )
    records.sort(key=lambda r: r.offset)  # one key, one partition: publication order
    events = [testing.event_json(r) for r in records]
    assert len(events) == count, [e["type"] for e in events]
    return events


async def test_every_state_change_is_published_and_valid(
    billing: Billing, kafka_bootstrap: str
) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    payment = (await pay(billing.client, customer_id, "350.00", "VIR-EV1")).json()
    note = (
        await billing.client.post(
            f"/v1/invoices/{invoice['id']}/credit-notes",
            json={"reason": "Retour", "full": True},
            headers=AGENT,
        )
    ).json()
    refund = (
        await billing.client.post(
            "/v1/refunds",
            json={
                "customer_id": str(customer_id),
                "amount": "349.00",
                "method": "transfer",
                "reason": "credit_note",
            },
            headers=AGENT,
        )
    ).json()
    assert (refund.get("amount"), note.get("to_customer_credit")) == ("349.00", "320.12")

    events = await published(kafka_bootstrap, customer_id, 4)
    assert [e["type"] for e in events] == [
        "billing.invoice.issued.v1",
        "billing.payment.received.v1",
        "billing.credit_note.issued.v1",
        "billing.refund.issued.v1",
    ]
    for event in events:
        validate(event)
        assert event["source"] == "/coulisse/billing"
        assert event["partitionkey"] == str(customer_id)
        assert event["actor"] == "agent-7"
    issued, received, credited, refunded = (e["data"] for e in events)
    assert [e["subject"] for e in events] == [
        invoice["id"],
        payment["id"],
        note["id"],
        refund["id"],
    ]
    for field in ("number", "lines", "vat_breakdown", "total_net", "total_vat", "total_gross"):
        assert issued[field] == invoice[field]
    assert issued["kind"] == "standard" and issued["account_number"] == invoice["account_number"]
    for field in ("amount", "allocations", "unallocated", "external_ref", "received_on"):
        assert received[field] == payment[field]
    assert received["unallocated"] == "29.88"
    for field in ("number", "invoice_number", "lines", "total_gross", "reason"):
        assert credited[field] == note[field]
    assert (refunded["amount"], refunded["reason"]) == ("349.00", "credit_note")
    assert (await balance(billing.client, customer_id))["balance"] == "-1.00"


async def test_a_fee_is_invoiced_once_whatever_the_redeliveries(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    late = await create_invoice(billing.client, customer_id)
    fee = FeeAssessed(
        fee_id=uuid4(),
        customer_id=customer_id,
        invoice_id=UUID(late["id"]),
        kind="recovery_indemnity",
        amount=Decimal("40.00"),
        assessed_on=date(2026, 11, 3),
    )
    event_id = uuid4()
    before = await billing.counts()
    await billing.deliver(fee, event_id=event_id)
    await billing.deliver(fee, event_id=event_id)  # a redelivery: the inbox knows it
    await billing.deliver(fee)  # republished with another id: the fee id still decides
    after = await billing.counts()
    assert after["invoices"] == before["invoices"] + 1
    assert after["outbox"] == before["outbox"] + 1
    fees = (
        await billing.client.get(
            "/v1/invoices", params={"customer_id": str(customer_id)}, headers=AGENT
        )
    ).json()["items"]
    fee_invoice = next(i for i in fees if i["kind"] == "fee")
    assert fee_invoice["source_fee_id"] == str(fee.fee_id)
    assert (fee_invoice["total_net"], fee_invoice["total_vat"], fee_invoice["total_gross"]) == (
        "40.00",
        "0.00",
        "40.00",
    )
    assert fee_invoice["lines"][0]["vat_rate"] == "0.0"
    assert late["number"] in fee_invoice["lines"][0]["description"]
    # Other invoices were issued today already: numbers follow dates, so it is dated today.
    assert fee_invoice["issue_date"] >= late["issue_date"]
    assert fee_invoice["due_date"] == fee_invoice["issue_date"]
    assert fee_invoice["number"].startswith("F")
    assert (await balance(billing.client, customer_id))["balance"] == "360.12"


async def test_a_write_off_ends_what_is_due(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    await pay(billing.client, customer_id, "20.12", "VIR-WO")
    write_off = ReceivableWrittenOff(
        write_off_id=uuid4(),
        customer_id=customer_id,
        account_number=invoice["account_number"],
        invoice_id=UUID(invoice["id"]),
        invoice_number=invoice["number"],
        amount_net=Decimal("250.00"),
        amount_vat=Decimal("50.00"),
        amount_gross=Decimal("300.00"),
        written_off_on=date(2026, 11, 20),
        # Longer than the column was once: kept whole, never cut.
        reason="Liquidation judiciaire, jugement du tribunal de commerce. " * 30,
        was_doubtful=True,
    )
    await billing.deliver(write_off)
    await billing.deliver(write_off)  # another delivery of the same fact: applied once
    async with billing.runtime.engine.connect() as conn:
        stored = await conn.scalar(
            sa.select(tables.write_offs.c.reason).where(
                tables.write_offs.c.id == write_off.write_off_id
            )
        )
    assert stored == write_off.reason
    after = (await billing.client.get(f"/v1/invoices/{invoice['id']}", headers=AGENT)).json()
    assert (after["status"], after["amount_due"], after["amount_written_off"]) == (
        "written_off",
        "0.00",
        "300.00",
    )
    state = await balance(billing.client, customer_id)
    assert (state["balance"], state["written_off"], state["open_invoices"]) == (
        "0.00",
        "300.00",
        [],
    )
    refused = await pay(
        billing.client,
        customer_id,
        "1.00",
        "VIR-WO2",
        allocations=[{"invoice_id": invoice["id"], "amount": "1.00"}],
    )
    assert refused.status_code == 409
