"""Dunning runs over HTTP on PostgreSQL and Kafka: the receivables come from billing's events in
any order, runs climb the levels in date order, notices and fees are recorded and published."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from collections_harness import AGENT, Collections, invoice_issued, payment, problem_fields

from coulisse.platform.db import create_engine

pytestmark = pytest.mark.integration

DUE = date(2026, 1, 16)
LEVEL_DAYS = {
    1: date(2026, 1, 13),
    2: date(2026, 1, 23),
    3: date(2026, 1, 31),
    4: date(2026, 2, 15),
}


async def run_on(collections: Collections, day: date, status: int = 201) -> dict[str, Any]:
    collections.on(day)
    response = await collections.run(day)
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_runs_climb_the_levels_and_publish_notices_and_fees(collections: Collections) -> None:
    customer_id = uuid4()
    issued = invoice_issued(customer_id, "1200.00", vat="200.00", due_date=DUE)
    # Billing's facts in any order: the payment, then the invoice, then the registration.
    await collections.deliver(
        payment(customer_id, date(2026, 1, 10), (issued.invoice_id, "200.00"))
    )
    await collections.deliver(issued)
    await collections.register(customer_id)

    runs = {}
    for level, day in LEVEL_DAYS.items():
        # The day before a level is reached, nothing happens to the invoice.
        quiet = await run_on(collections, date.fromordinal(day.toordinal() - 1))
        assert quiet["notices"] == [] and quiet["fees"] == []
        runs[level] = await run_on(collections, day)
        [notice] = runs[level]["notices"]
        assert (notice["level"], notice["sent_on"], notice["amount_due"]) == (
            level,
            day.isoformat(),
            "1000.00",
        )
        assert notice["invoice_ids"] == [str(issued.invoice_id)]
        assert notice["lines"][0]["invoice_number"] == issued.number
    assert [r["notices"][0]["channel"] for r in runs.values()] == [
        "email",
        "email",
        "call",
        "formal_notice",
    ]
    # Only the formal notice assesses charges: the €40 and 30 days of interest at 12.15 %.
    assert all(not runs[level]["fees"] for level in (1, 2, 3))
    fees = {fee["kind"]: fee for fee in runs[4]["fees"]}
    assert fees["recovery_indemnity"]["amount"] == "40.00"
    interest = fees["late_interest"]
    assert interest["amount"] == "9.99"  # 1 000.00 × 12.15 % × 30 / 365
    assert interest["interest"]["days"] == 30 and interest["interest"]["base"] == "1000.00"
    assert [p["rate"] for p in interest["interest"]["periods"]] == ["12.15"]

    read = await collections.client.get(f"/v1/dunning/runs/{runs[4]['id']}", headers=AGENT)
    assert read.status_code == 200 and read.json()["fees"] == runs[4]["fees"]
    assert read.json()["notices"] == runs[4]["notices"]

    events = await collections.published(customer_id, 6)
    assert [e["type"] for e in events] == [
        *["collections.dunning.notice_sent.v1"] * 4,
        "collections.fee.assessed.v1",
        "collections.fee.assessed.v1",
    ]
    assert all(e["source"] == "/coulisse/collections" and e["actor"] == "agent-7" for e in events)
    assert [e["data"]["level"] for e in events[:4]] == [1, 2, 3, 4]
    assert events[3]["data"]["amount_due"] == "1000.00"
    assert {(e["data"]["kind"], e["data"]["amount"]) for e in events[4:]} == {
        ("recovery_indemnity", "40.00"),
        ("late_interest", "9.99"),
    }
    assert {e["data"]["assessed_on"] for e in events[4:]} == {"2026-02-15"}

    listed = await collections.client.get(
        "/v1/notices", params={"customer_id": str(customer_id), "limit": 3}, headers=AGENT
    )
    page = listed.json()
    assert [n["level"] for n in page["items"]] == [4, 3, 2]
    rest = await collections.client.get(
        "/v1/notices",
        params={"customer_id": str(customer_id), "cursor": page["next_cursor"]},
        headers=AGENT,
    )
    assert [n["level"] for n in rest.json()["items"]] == [1] and rest.json()["next_cursor"] is None
    one = await collections.client.get(f"/v1/notices/{page['items'][0]['id']}", headers=AGENT)
    assert one.status_code == 200 and one.json() == page["items"][0]


async def test_runs_go_forward_once_per_date_and_a_dry_run_changes_nothing(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "500.00", due_date=DUE)
    first = await run_on(collections, LEVEL_DAYS[2])
    assert [n["level"] for n in first["notices"]] == [1]
    before = await collections.counts()

    earlier = await collections.run(LEVEL_DAYS[1])
    assert earlier.status_code == 409 and problem_fields(earlier) == ["as_of"]
    assert earlier.json()["last_run_on"] == LEVEL_DAYS[2].isoformat()

    again = await collections.run(LEVEL_DAYS[2])
    assert again.status_code == 201, again.text
    assert again.json()["repeated"] is True and again.json()["id"] == first["id"]
    assert again.json()["notices"] == first["notices"]

    future = await collections.run(LEVEL_DAYS[3])
    assert future.status_code == 422 and problem_fields(future) == ["as_of"]

    preview = await collections.run(LEVEL_DAYS[4], dry_run=True)
    assert preview.status_code == 200, preview.text
    assert preview.json()["id"] is None and preview.json()["dry_run"] is True
    assert [n["level"] for n in preview.json()["notices"]] == [2]
    assert await collections.counts() == before

    # What the dry run showed is what the real run then does.
    done = await run_on(collections, LEVEL_DAYS[4])
    assert [(n["level"], n["amount_due"]) for n in done["notices"]] == [
        (n["level"], n["amount_due"]) for n in preview.json()["notices"]
    ]
    assert [(f["kind"], f["amount"]) for f in done["fees"]] == [
        (f["kind"], f["amount"]) for f in preview.json()["fees"]
    ]


async def test_a_run_replays_for_its_idempotency_key(collections: Collections) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "80.00", due_date=DUE)
    collections.on(LEVEL_DAYS[1])
    headers = {**AGENT, "Idempotency-Key": str(uuid4())}
    body = {"as_of": LEVEL_DAYS[1].isoformat()}
    first = await collections.client.post("/v1/dunning/runs", json=body, headers=headers)
    second = await collections.client.post("/v1/dunning/runs", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert (await collections.counts())["notices"] == 1


async def test_facts_count_once_whatever_the_order_and_the_redeliveries(
    collections: Collections,
) -> None:
    customer_id = uuid4()
    issued = invoice_issued(customer_id, "300.00", due_date=DUE)
    paid = payment(customer_id, date(2026, 1, 2), (issued.invoice_id, "100.00"))
    event_id = uuid4()
    await collections.deliver(paid, event_id=event_id)
    await collections.deliver(paid, event_id=event_id)  # redelivered: the inbox knows it
    await collections.deliver(paid)  # republished under another id: the payment id decides
    await collections.deliver(issued)
    await collections.deliver(issued)
    await collections.register(customer_id)
    found = await collections.collections_of(customer_id)
    [receivable] = found["receivables"]
    assert (receivable["paid"], receivable["amount_due"]) == ("100.00", "200.00")
    assert found["kind"] == "company" and found["amount_due"] == "200.00"
    counts = await collections.counts()
    assert (counts["receivables"], counts["receivable_facts"]) == (1, 1)

    await collections.pay(customer_id, date(2026, 1, 4), (issued.invoice_id, "200.00"))
    settled = await collections.collections_of(customer_id)
    assert settled["receivables"] == [] and settled["amount_due"] == "0.00"
    # A settled invoice leaves the process: no run reaches it.
    done = await run_on(collections, LEVEL_DAYS[4])
    assert done["notices"] == []


async def test_a_person_owes_no_charges_and_a_partial_payment_lowers_the_notice(
    collections: Collections,
) -> None:
    customer_id = await collections.register(kind="person")
    issued = await collections.invoice(customer_id, "400.00", due_date=DUE)
    await run_on(collections, LEVEL_DAYS[3])  # level 1
    await collections.pay(customer_id, date(2026, 1, 31), (issued.invoice_id, "150.00"))
    level_two = await run_on(collections, date(2026, 2, 5))
    assert [(n["level"], n["amount_due"]) for n in level_two["notices"]] == [(2, "250.00")]
    for day in (date(2026, 2, 12), date(2026, 3, 1)):
        done = await run_on(collections, day)
        assert done["fees"] == []
    found = await collections.collections_of(customer_id)
    assert found["receivables"][0]["level"] == 4
    assert Decimal(found["amount_overdue"]) == Decimal("250.00")


async def test_two_runs_at_once_make_one(collections: Collections) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "75.00", due_date=DUE)
    collections.on(LEVEL_DAYS[1])
    first, second = await asyncio.gather(
        collections.run(LEVEL_DAYS[1]), collections.run(LEVEL_DAYS[1])
    )
    assert first.status_code == second.status_code == 201
    assert sorted([first.json()["repeated"], second.json()["repeated"]]) == [False, True]
    assert first.json()["id"] == second.json()["id"]
    counts = await collections.counts()
    assert (counts["dunning_runs"], counts["notices"]) == (1, 1)


async def test_a_day_without_an_interest_rate_stops_the_whole_run(
    collections: Collections,
) -> None:
    customer_id = await collections.register()
    await collections.invoice(customer_id, "2000.00", due_date=date(2026, 6, 1))
    for day in (date(2026, 5, 29), date(2026, 6, 8), date(2026, 6, 16)):
        await run_on(collections, day)
    await collections.deliver(
        payment(customer_id, date(2026, 6, 20))  # a payment to no invoice: nothing changes
    )
    # The formal notice would charge interest up to 1 July: the shipped rates end on 30 June.
    collections.on(date(2026, 7, 1))
    before = await collections.counts()
    refused = await collections.run(date(2026, 7, 1))
    assert refused.status_code == 409 and problem_fields(refused) == ["rates"]
    assert refused.json()["day"] == "2026-07-01"
    assert await collections.counts() == before
    # A preview says the same, and the run before the formal notice's day still goes.
    preview = await collections.run(date(2026, 7, 1), dry_run=True)
    assert preview.status_code == 409 and problem_fields(preview) == ["rates"]
    assert (await run_on(collections, date(2026, 6, 30)))["notices"] == []


async def test_a_run_and_a_consumer_writing_receivables_out_of_order_do_not_deadlock(
    collections: Collections,
) -> None:
    """A consumer's batch writes receivables in the order of its events, a run locks them in the
    order of their ids. The consumer holds the later invoice and is about to write the earlier
    one when the run starts: the run must wait for the consumer, not take the earlier invoice
    and deadlock with it (the consumer's write would then wait on the run)."""
    customer_id = await collections.register()
    earlier, later = sorted([uuid4(), uuid4()])
    for invoice_id in (earlier, later):
        await collections.deliver(invoice_issued(customer_id, "100.00", invoice_id=invoice_id))
    touch = sa.text("UPDATE receivables SET updated_at = updated_at WHERE invoice_id = :id")
    # Connections of their own: the service's pool is for the service.
    engine = create_engine(collections.runtime.settings.effective_database_url)
    async with engine.connect() as consumer:
        transaction = await consumer.begin()
        await consumer.execute(touch, {"id": later})

        collections.on(date(2026, 1, 13))
        run = asyncio.create_task(collections.run(date(2026, 1, 13)))
        # The run waits on a lock held by this transaction.
        async with engine.connect() as watcher:
            for _ in range(200):
                waiting = await watcher.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                )
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert waiting, "the run never waited for the consumer's transaction"
        # Before the deadlock detector (1 s) could step in: the write goes through at once.
        await consumer.execute(sa.text("SET LOCAL lock_timeout = '500ms'"))
        await consumer.execute(touch, {"id": earlier})
        assert not run.done()
        await transaction.commit()
    await engine.dispose()
    answer = await run
    assert answer.status_code == 201, answer.text
    assert {i for n in answer.json()["notices"] for i in n["invoice_ids"]} == {
        str(earlier),
        str(later),
    }
