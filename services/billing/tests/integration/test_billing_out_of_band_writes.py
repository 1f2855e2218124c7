"""A change to billing's database made by another database role than billing's own is published
on `billing.events` as `billing.database.out_of_band_write.v1`, by the relay, like any event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest
import sqlalchemy as sa
from billing_calls import create_invoice
from billing_harness import Billing
from sqlalchemy.engine import make_url

from coulisse.contracts.billing import BillingOutOfBandWrite
from coulisse.contracts.topics import BILLING_EVENTS
from coulisse.platform import testing
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import CONTENT_TYPE, parse_record_value
from coulisse.platform.kafka import decode_headers

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[4] / "libs" / "contracts" / "schemas"
OUT_OF_BAND = BillingOutOfBandWrite.TYPE


async def out_of_band_rows(billing: Billing, row_keys: set[str]) -> list[dict[str, Any]]:
    """The out-of-band write events in billing's outbox about these rows, in outbox order."""
    async with billing.runtime.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT * FROM outbox WHERE event_type = :type ORDER BY position"),
            {"type": OUT_OF_BAND},
        )
        found = [dict(row._mapping) for row in rows]
    return [r for r in found if json.loads(r["value"])["data"]["row_key"] in row_keys]


async def patch(url: str, *statements: str, commit: bool = True) -> datetime:
    """Runs `statements` in one transaction as the role of `url`; returns the transaction's
    start."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            started: datetime = (await conn.execute(sa.text("SELECT now()"))).scalar_one()
            for statement in statements:
                await conn.execute(sa.text(statement))
            await (conn.commit() if commit else conn.rollback())
        return started
    finally:
        await engine.dispose()


async def test_billings_own_writes_record_no_out_of_band_write(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    assert await out_of_band_rows(billing, {str(customer_id), invoice["id"]}) == []


async def test_each_change_by_another_role_is_one_event_the_relay_publishes(
    billing: Billing, kafka_bootstrap: str
) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    stranger = uuid4()
    async with testing.another_role(billing.database_url) as other:
        role = make_url(other).username
        started = await patch(
            other,
            f"UPDATE invoices SET due_date = due_date + 30 WHERE id = '{invoice['id']}'",
            "INSERT INTO customers (id, status, credit_available, updated_at)"
            f" VALUES ('{stranger}', 'active', 0, now())",
            f"DELETE FROM invoice_lines WHERE invoice_id = '{invoice['id']}' AND position = 2",
        )
    line_key = f"{invoice['id']}/2"
    rows = await out_of_band_rows(billing, {invoice["id"], str(stranger), line_key})
    at = started.astimezone(UTC)
    expected = [
        BillingOutOfBandWrite(
            table="invoices",
            operation="UPDATE",
            row_key=invoice["id"],
            db_role=role,
            at=at,
            customer_id=customer_id,
        ),
        BillingOutOfBandWrite(
            table="customers",
            operation="INSERT",
            row_key=str(stranger),
            db_role=role,
            at=at,
            customer_id=stranger,
        ),
        BillingOutOfBandWrite(
            table="invoice_lines",
            operation="DELETE",
            row_key=line_key,
            db_role=role,
            at=at,
            customer_id=None,
        ),
    ]
    assert [parse_record_value(r["value"]).payload for r in rows] == expected
    # Written in the transaction of the change.
    assert [r["created_at"] for r in rows] == [started] * 3

    ids = {str(r["event_id"]) for r in rows}
    records = await testing.read_topic(
        kafka_bootstrap,
        BILLING_EVENTS,
        keep=lambda r: decode_headers(r.headers).get("ce_id") in ids,
        until=lambda found: len(found) >= 3,
    )
    assert len(records) == 3
    for record in records:
        event = testing.event_json(record)
        jsonschema.validate(event, json.loads((SCHEMAS / "cloudevent.json").read_text()))
        schema = json.loads((SCHEMAS / f"{OUT_OF_BAND}.json").read_text())
        jsonschema.validate(event["data"], schema)
        payload = parse_record_value(record.value).payload_as(BillingOutOfBandWrite)
        assert record.key == payload.partition_key.encode() == event["partitionkey"].encode()
        assert event["subject"] == payload.row_key
        assert event["source"] == "/coulisse/billing"
        assert decode_headers(record.headers) | {"traceparent": ""} == {
            "content-type": CONTENT_TYPE,
            "ce_type": OUT_OF_BAND,
            "ce_id": event["id"],
            "traceparent": "",
        }

    async def marked_published() -> bool:
        found = await out_of_band_rows(billing, {invoice["id"], str(stranger), line_key})
        return all(r["published_at"] is not None for r in found)

    await testing.eventually(marked_published, what="the relay marks the rows published")


async def test_a_rolled_back_patch_leaves_no_event(billing: Billing) -> None:
    customer_id = await billing.register_customer()
    invoice = await create_invoice(billing.client, customer_id)
    async with testing.another_role(billing.database_url) as other:
        await patch(
            other, f"DELETE FROM invoice_lines WHERE invoice_id = '{invoice['id']}'", commit=False
        )
    assert await out_of_band_rows(billing, {f"{invoice['id']}/1", f"{invoice['id']}/2"}) == []


async def test_outbox_and_inbox_writes_by_another_role_record_nothing(billing: Billing) -> None:
    event_id: UUID = uuid4()
    async with billing.runtime.engine.connect() as conn:
        before = (
            await conn.execute(
                sa.text("SELECT count(*) FROM outbox WHERE event_type = :type"),
                {"type": OUT_OF_BAND},
            )
        ).scalar_one()
    async with testing.another_role(billing.database_url) as other:
        await patch(
            other,
            f"INSERT INTO inbox VALUES ('someone', '{event_id}', 'x.y.z.v1', now())",
            f"UPDATE inbox SET event_type = 'x.y.w.v1' WHERE event_id = '{event_id}'",
            f"DELETE FROM inbox WHERE event_id = '{event_id}'",
            "UPDATE outbox SET traceparent = traceparent WHERE position = (SELECT max(position) FROM outbox)",
        )
    async with billing.runtime.engine.connect() as conn:
        after = (
            await conn.execute(
                sa.text("SELECT count(*) FROM outbox WHERE event_type = :type"),
                {"type": OUT_OF_BAND},
            )
        ).scalar_one()
    assert after == before
