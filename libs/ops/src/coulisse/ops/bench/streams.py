"""Reporting's live stream as a client sees it: `GET /v1/events/stream` opened before billing
creates invoices over HTTP at a steady rate; for each invoice, its commit at billing to its
event's arrival on the open stream.

Both instants are read from one clock: the PostgreSQL server and the benchmark run on one host,
and `pg_xact_commit_timestamp` and the platform's system clock (not shifted: no
`COULISSE_CLOCK_START`) both read its CLOCK_REALTIME. The stream's
`data` is a timeline entry naming the event (`event_id`), not the invoice: billing's outbox ties
each event id to the invoice it is about (its `subject`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from coulisse.contracts.billing import InvoiceIssued
from coulisse.ops.bench import database as db
from coulisse.ops.bench.drive import Documents, open_loop
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    HOST_WALL,
    figure,
    latency_summary,
    match_arrivals,
    rate,
    spread,
)
from coulisse.ops.bench.phases import Context, failed, settle_all
from coulisse.platform.clock import START_ENV, Clock, default_clock

STREAM_PATH = "/v1/events/stream"


@dataclass(frozen=True)
class Arrival:
    event_id: str
    position: str
    at: float
    """The client's wall clock (epoch seconds) once the whole message was read."""


class StreamReader:
    """One open stream of reporting, read in a task of its own, every event stamped on arrival.

    Entered once reporting has answered 200: the stream starts at the position reporting held
    then, so every event read after that comes on it."""

    def __init__(
        self,
        base_url: str,
        token: str,
        types: str,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.clock = clock
        self.transport = transport
        self.base_url = base_url
        self.token = token
        self.types = types
        self.arrivals: list[Arrival] = []
        self.error: str | None = None
        self._opened = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> StreamReader:
        self._http = httpx.AsyncClient(
            transport=self.transport,
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            # No read timeout: an idle stream sends only a heartbeat now and then.
            timeout=httpx.Timeout(30, read=None),
        )
        self._task = asyncio.create_task(self._read())
        opened = asyncio.create_task(self._opened.wait())
        await asyncio.wait({opened, self._task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        opened.cancel()
        if not self._opened.is_set():
            await self.__aexit__()
            raise RuntimeError(f"{STREAM_PATH} did not open within 60 s: {self.error}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.aclose()

    async def _read(self) -> None:
        assert self._http is not None
        try:
            async with aconnect_sse(
                self._http, "GET", STREAM_PATH, params={"types": self.types}
            ) as source:
                if source.response.status_code != 200:
                    await source.response.aread()
                    raise RuntimeError(
                        f"{source.response.status_code} {source.response.text[:300]}"
                    )
                self._opened.set()
                async for message in source.aiter_sse():
                    at = self.clock.now().timestamp()
                    if not message.data:
                        continue  # the retry hint
                    entry = json.loads(message.data)
                    self.arrivals.append(Arrival(str(entry["event_id"]), message.id, at))
            self.error = "the stream ended"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the run reports it and becomes invalid
            self.error = f"{type(exc).__name__}: {str(exc)[:300]}"

    async def wait_for(self, event_ids: set[str], timeout: float) -> bool:
        """Whether every one of these events arrived within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.error is None:
            if event_ids <= {a.event_id for a in self.arrivals}:
                return True
            await asyncio.sleep(0.1)
        return event_ids <= {a.event_id for a in self.arrivals}


async def stream_run(
    context: Context,
    documents: Documents,
    rate_per_s: float,
    seconds: float,
    max_in_flight: int = 64,
) -> dict[str, Any]:
    """A stream opened, then invoices created at `rate_per_s` for `seconds`; each invoice's
    commit to its event's arrival, every invoice expected exactly once."""
    await settle_all(context)
    sanity, target = context.sanity, context.target
    if os.environ.get(START_ENV):
        sanity.fail(f"stream: {START_ENV} shifts the benchmark's clock away from the database's")
    billing_position = await db.outbox_position(context.billing_db)
    reader = StreamReader(
        target.reporting_url, target.reports_token, InvoiceIssued.TYPE, default_clock()
    )
    async with reader as stream:
        context.status(f"stream: open, {rate_per_s:g} invoices/s for {seconds:g} s")
        load = await open_loop(documents.invoice, rate_per_s, seconds, max_in_flight)
        failed(context, "stream", load)
        await db.wait_published(context.billing_db, 120)
        invoice_ids = [a.resource_id for a in load.answers]
        produced = await db.produced_since(context.billing_db, billing_position, invoice_ids)
        events = {str(event_id): invoice for event_id, invoice in produced.documents.items()}
        all_arrived = await stream.wait_for(set(events), 120)
        # A duplicate would come with a later poll of the stream: a few more polls are read.
        await asyncio.sleep(2)
    if stream.error is not None:
        sanity.fail(f"stream: {stream.error}")
    sanity.counts_match("stream: billing events of the invoices", len(invoice_ids), len(events))
    commits = await db.invoice_commits(context.billing_db, invoice_ids)
    sanity.counts_match("stream: invoices with a commit timestamp", len(invoice_ids), len(commits))
    matched = match_arrivals(
        events,
        {invoice: at.timestamp() for invoice, at in commits.items()},
        [(a.event_id, a.at) for a in stream.arrivals],
    )
    sanity.each_once("stream: invoices' events on the stream", matched)
    delays = list(matched.delays_ms.values())
    sanity.no_negative_latency("stream: commit to arrival", delays)
    committed = sorted(at.timestamp() for at in commits.values())
    return {
        "invoices": len(invoice_ids),
        "failed": len(load.failures),
        "skipped_at_max_in_flight": load.skipped,
        "asked_rate": rate_per_s,
        "sent_rate": rate(len(invoice_ids) + len(load.failures), load.seconds),
        "committed_rate": rate(len(committed) - 1, committed[-1] - committed[0])
        if len(committed) > 1 and committed[-1] > committed[0]
        else None,
        "events_arrived": len(matched.delays_ms),
        "all_arrived_within_120_s": all_arrived,
        "missing": len(matched.missing),
        "duplicated": len(matched.duplicated),
        "other_events_on_stream": matched.others,
        "commit_to_arrival": latency_summary(delays) if delays else None,
        "response_ms": latency_summary([1000 * a.seconds for a in load.answers])
        if load.answers
        else None,
    }


def describe_stream(runs: list[dict[str, Any]], poll_seconds: str) -> dict[str, Any]:
    def of(key: str) -> list[float]:
        return [float(r["commit_to_arrival"][key]) for r in runs if r["commit_to_arrival"]]

    covers = (
        "an invoice's commit at billing (pg_xact_commit_timestamp) to its event's arrival on an "
        f"open {STREAM_PATH}?types={InvoiceIssued.TYPE} (the benchmark's system clock once "
        "the message is read), one client with a reports:read token; every step between: "
        "billing's relay, Kafka, reporting's consumer and its commit, then the stream's poll of "
        f"the read model (COULISSE_STREAM_POLL_SECONDS: {poll_seconds})"
    )
    return {
        "p50_ms": figure(spread(of("p50_ms"), 2), "ms", HOST_WALL, f"p50 of each run: {covers}"),
        "p99_ms": figure(spread(of("p99_ms"), 2), "ms", HOST_WALL, f"p99 of each run: {covers}"),
        "max_ms": figure(spread(of("max_ms"), 2), "ms", HOST_WALL, f"max of each run: {covers}"),
        "sent_rate_per_s": figure(
            spread([float(r["sent_rate"]) for r in runs], 1),
            "invoices/s",
            CLIENT_MONOTONIC,
            "POST /v1/invoices started per second at billing (open loop)",
        ),
        "arrived_exactly_once": sum(r["events_arrived"] for r in runs)
        == sum(r["invoices"] for r in runs)
        and not any(r["missing"] or r["duplicated"] for r in runs),
        "runs": runs,
    }
