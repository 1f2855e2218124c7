"""Reporting's 360° view of a customer with a long history.

The history (invoices, and payments that settle all but a few of them) is published on
`billing.events` as billing's relay would: CloudEvents envelopes built from the contracts'
models, keyed by the customer, by an idempotent producer. Reporting reads it through its own
consumer, as the gateway and collections do. Once every consumer group has caught up, one
client times the view's first page, then the timeline's next page through its cursor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx

from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    VatSubtotal,
)
from coulisse.contracts.topics import CONSUMER_GROUPS, dlq_topic
from coulisse.ops.bench import database as db
from coulisse.ops.bench.broker import appended
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    CUSTOMER_360_EVENTS,
    figure,
    latency_summary,
    rate,
    spread,
)
from coulisse.ops.bench.phases import Context, settle_all
from coulisse.platform.clock import default_clock, today
from coulisse.platform.envelope import CONTENT_TYPE, OutgoingEvent, build_envelope
from coulisse.platform.kafka import encode_headers, idempotent_producer

NET = Decimal("100.00")
VAT_RATE = Decimal("20.0")
VAT = Decimal("20.00")
GROSS = NET + VAT


@dataclass(frozen=True)
class History:
    """A customer's billing history: invoices, each but the last `open_invoices` settled by a
    payment of its amount, in the order billing would have written them."""

    payloads: list[EventPayload]
    invoices: int
    payments: int
    open_invoices: int


def history(
    customer_id: UUID,
    account_number: str,
    *,
    events: int,
    open_invoices: int,
    day: date,
    series: str,
) -> History:
    """`events` events: (events + open_invoices) / 2 invoices of 120.00 issued on `day`, and a
    payment for each of them but the last `open_invoices`."""
    if open_invoices < 0 or events < open_invoices or (events - open_invoices) % 2:
        raise ValueError(
            f"{events} events cannot hold {open_invoices} open invoices: the rest are pairs of "
            "an invoice and its payment"
        )
    invoices = (events + open_invoices) // 2
    payloads: list[EventPayload] = []
    for i in range(invoices):
        invoice = InvoiceIssued(
            invoice_id=uuid4(),
            number=f"{series}-{i + 1:06d}",
            kind="standard",
            customer_id=customer_id,
            account_number=account_number,
            issue_date=day,
            due_date=day + timedelta(days=30),
            lines=[
                DocumentLine(
                    description="Abonnement",
                    quantity=Decimal(1),
                    unit_price=NET,
                    vat_rate=VAT_RATE,
                    net=NET,
                    vat=VAT,
                )
            ],
            vat_breakdown=[VatSubtotal(vat_rate=VAT_RATE, net=NET, vat=VAT)],
            total_net=NET,
            total_vat=VAT,
            total_gross=GROSS,
        )
        payloads.append(invoice)
        if i < invoices - open_invoices:
            payloads.append(
                PaymentReceived(
                    payment_id=uuid4(),
                    customer_id=customer_id,
                    account_number=account_number,
                    amount=GROSS,
                    method="transfer",
                    received_on=day,
                    external_ref=f"{series}-VIR-{i + 1:06d}",
                    allocations=[
                        Allocation(
                            invoice_id=invoice.invoice_id,
                            invoice_number=invoice.number,
                            amount=GROSS,
                        )
                    ],
                    unallocated=Decimal("0.00"),
                )
            )
    return History(payloads, invoices, invoices - open_invoices, open_invoices)


async def publish(bootstrap: str, payloads: list[EventPayload]) -> tuple[list[UUID], float]:
    """The events on their topic as billing's relay publishes them (idempotent producer,
    acks=all, the customer as key, the content type in a header), sent in batches and awaited
    once; returns their ids and the seconds from the first send to the last acknowledgement."""
    events: list[OutgoingEvent] = [
        build_envelope(
            payload, service="billing", actor="bench", correlation_id=None, traceparent=None
        )
        for payload in payloads
    ]
    producer = idempotent_producer(bootstrap, client_id="coulisse-bench")
    await producer.start()
    try:
        headers = encode_headers({"content-type": CONTENT_TYPE})
        started = time.monotonic()
        for event in events:
            # `send` only queues the record: batches leave as they fill (linger_ms).
            await producer.send(event.topic, event.value, key=event.key.encode(), headers=headers)
        await producer.flush()
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
    return [event.event_id for event in events], elapsed


@dataclass(frozen=True)
class Timed:
    """One route called `calls` times in a row, each call's milliseconds (client monotonic)."""

    path: str
    milliseconds: list[float]
    body: dict[str, Any]
    """The last answer, to check what the calls returned."""

    def summary(self) -> dict[str, Any]:
        return {"path": self.path, "calls": len(self.milliseconds)} | latency_summary(
            self.milliseconds
        )


async def timed_calls(
    http: httpx.AsyncClient, path: str, calls: int, warm_up: int, params: dict[str, str] | None
) -> Timed:
    """`warm_up` calls not counted, then `calls` timed one after the other: from the request's
    send to its body read (httpx reads the body before `get` returns); anything but 200 stops
    the run."""
    milliseconds: list[float] = []
    for i in range(warm_up + calls):
        sent = time.monotonic()
        response = await http.get(path, params=params)
        answered = time.monotonic()
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
        if i >= warm_up:
            milliseconds.append(1000 * (answered - sent))
    body = response.json()
    return Timed(path, milliseconds, body)


async def load_history(
    context: Context,
    reporting_db: asyncpg.Connection,
    customer_id: UUID,
    account_number: str,
    *,
    events: int,
    open_invoices: int,
) -> dict[str, Any]:
    """The customer's history published, then waited for: in reporting's timeline, then every
    consumer group idle (the gateway journals it, collections follows its receivables)."""
    await settle_all(context)
    found = history(
        customer_id,
        account_number,
        events=events,
        open_invoices=open_invoices,
        day=today(default_clock()),
        series=f"H{uuid4().hex[:4].upper()}",
    )
    dead_letters = [dlq_topic(group) for group in CONSUMER_GROUPS]
    parked_before = {topic: await context.offsets.end(topic) for topic in dead_letters}
    context.status(f"360: {len(found.payloads)} billing events published for one customer")
    event_ids, publish_s = await publish(context.target.kafka, found.payloads)
    started = time.monotonic()
    held = await db.wait_timeline(reporting_db, event_ids, 900)
    timeline_s = time.monotonic() - started
    context.sanity.counts_match(
        "360: the published events in reporting's timeline", len(event_ids), held
    )
    context.status("360: waiting for every consumer group to be idle")
    await settle_all(context)
    idle_s = time.monotonic() - started
    # Events a consumer could not process would make the history something no relay publishes.
    parked = {
        topic: appended(before, await context.offsets.end(topic))
        for topic, before in parked_before.items()
    }
    context.sanity.counts_match(
        f"360: records dead-lettered while the history was read {parked}", 0, sum(parked.values())
    )
    commits = sorted(at.timestamp() for at in await db.timeline_commits(reporting_db, event_ids))
    return {
        "events_published": len(event_ids),
        "invoices": found.invoices,
        "payments": found.payments,
        "open_invoices": found.open_invoices,
        "publish_s": round(publish_s, 3),
        "published_to_timeline_s": round(timeline_s, 3),
        "published_to_all_groups_idle_s": round(idle_s, 3),
        "dead_lettered": parked,
        "timeline_commits_first_to_last_s": round(commits[-1] - commits[0], 3)
        if len(commits) > 1
        else None,
        "reporting_events_per_s": round(rate(len(commits) - 1, commits[-1] - commits[0]), 1)
        if len(commits) > 1 and commits[-1] > commits[0]
        else None,
    }


async def view_run(
    context: Context,
    reporting_db: asyncpg.Connection,
    customer_id: UUID,
    *,
    calls: int,
    warm_up: int,
) -> dict[str, Any]:
    """The 360° view's first page `calls` times in a row, then the timeline's next page (the
    view's cursor) as many times, by one client; the timeline's size read before and after."""
    await settle_all(context)
    sanity = context.sanity
    before = await db.timeline_count(reporting_db, customer_id)
    context.status(f"360: {calls} calls of the first page, {before} events in the timeline")
    async with httpx.AsyncClient(
        base_url=context.target.reporting_url,
        headers={"Authorization": f"Bearer {context.target.reports_token}"},
        timeout=60,
    ) as http:
        first = await timed_calls(http, f"/v1/customers/{customer_id}/360", calls, warm_up, None)
        page = first.body["timeline"]
        cursor = page["next_cursor"]
        following = None
        if cursor is None:
            sanity.fail(f"360: the first page of {before} events has no next cursor")
        else:
            following = await timed_calls(
                http, f"/v1/customers/{customer_id}/timeline", calls, warm_up, {"cursor": cursor}
            )
    after = await db.timeline_count(reporting_db, customer_id)
    sanity.at_least("360: events in the customer's timeline", CUSTOMER_360_EVENTS, before)
    sanity.counts_match("360: events in the timeline after the calls", before, after)
    first_items = page["items"]
    return {
        "timeline_events": before,
        "first_page": first.summary()
        | {
            "timeline_items": len(first_items),
            "open_invoices": len(first.body["open_invoices"]),
            "profile": first.body["profile"] is not None,
        },
        "next_page": None
        if following is None
        else following.summary() | {"items": len(following.body["items"])},
    }


def describe_view(load: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    def of(page: str, key: str) -> list[float]:
        return [float(r[page][key]) for r in runs if r[page] is not None]

    calls = runs[0]["first_page"]["calls"]
    events = min(r["timeline_events"] for r in runs)
    covers = (
        f"GET /v1/customers/{{id}}/360 (first page, default limit) of a customer with {events} "
        f"events in reporting's timeline: request sent to response body read, {calls} calls one "
        "after the other by one client (no concurrency) after a few not counted, every "
        "consumer group idle"
    )
    following = (
        "GET /v1/customers/{id}/timeline?cursor=<the view's next_cursor> (the second page, "
        f"default limit), same client, {calls} calls one after the other"
    )
    result: dict[str, Any] = {
        "timeline_events_when_measured": events,
        "history": load,
    }
    for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        result[f"first_page_{key}"] = figure(
            spread(of("first_page", key), 2),
            "ms",
            CLIENT_MONOTONIC,
            f"{key[:-3]} of each run: {covers}",
        )
    for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        values = of("next_page", key)
        if values:
            result[f"next_page_{key}"] = figure(
                spread(values, 2), "ms", CLIENT_MONOTONIC, f"{key[:-3]} of each run: {following}"
            )
    result["runs"] = runs
    return result
