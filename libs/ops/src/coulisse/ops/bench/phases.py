"""The benchmark's phases, each repeated: HTTP against the bare endpoint, the backlog's drain,
the latency at a steady rate, and the raw limits. Each repetition returns its figures and
checks its counts against the database and the broker (`Sanity`); `run.py` sums them up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import psutil

from coulisse.contracts.topics import BILLING_EVENTS, CONSUMER_GROUPS
from coulisse.ops.bench import database as db
from coulisse.ops.bench.broker import LagPoller, Offsets, appended
from coulisse.ops.bench.drive import Documents, Load, Make, closed_loop, open_loop
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    DATABASE,
    GATEWAY_WALL,
    Sanity,
    figure,
    latency_summary,
    rate,
    spread,
)
from coulisse.ops.bench.profiling import Profile
from coulisse.ops.services import by_name

GATEWAY = "accounting-gateway"
BILLING = "billing"
BILLING_RELAY = by_name(BILLING).relay_program


@dataclass
class Target:
    """The running stack as the benchmark drives it."""

    customer_url: str
    billing_url: str
    gateway_url: str
    kafka: str
    admin_url: str
    token: str
    stop_gateway: Callable[[], None]
    start_gateway: Callable[[], None]
    """Returns once supervisord has forked it, not once it counts as running."""
    pid: Callable[[str], int | None]
    """A supervised program's pid."""
    postgres_pid: Callable[[], int | None]
    reporting_url: str
    reports_token: str
    """A token with `reports:read` only, as a reporting screen holds."""
    accounting_token: str = ""
    """A token with `accounting:read` only, as an accountant's export holds."""
    gateway_environment: dict[str, str] = field(default_factory=dict)
    """The stack's gateway program environment: the FEC phase runs a gateway of its own."""


@dataclass
class Context:
    target: Target
    offsets: Offsets
    billing_db: asyncpg.Connection
    gateway_db: asyncpg.Connection
    sanity: Sanity
    batch_size: int
    concurrency: int
    results: Any
    """The folder of the results (profiles go there)."""
    stamp: str
    status: Callable[[str], None] = print


class CpuMeter:
    """CPU seconds (user + system) used by named processes and their children during a block:
    whether the client, the server or PostgreSQL was the one short of CPU."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self._before: dict[str, float] = {}
        self.used: dict[str, float] = {}

    @staticmethod
    def _seconds(pid: int) -> float:
        try:
            process = psutil.Process(pid)
            total = 0.0
            for one in [process, *process.children(recursive=True)]:
                try:
                    times = one.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0.0

    def __enter__(self) -> CpuMeter:
        self._before = {name: self._seconds(pid) for name, pid in self.pids.items()}
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = {
            name: round(self._seconds(pid) - self._before[name], 3)
            for name, pid in self.pids.items()
        }

    def per_request_ms(self, requests: int) -> dict[str, float]:
        return {name: round(1000 * used / requests, 3) for name, used in self.used.items()}


def failed(context: Context, label: str, load: Load) -> None:
    """A request that got no 201 leaves the counts short: the run cannot stand."""
    if load.failures:
        context.sanity.fail(
            f"{label}: {len(load.failures)} requests failed, e.g. {load.failures[0]}"
        )


async def settle(context: Context, timeout: float = 300) -> None:
    """Billing's outbox published and the gateway caught up: every repetition starts idle."""
    context.status("waiting for billing's outbox and the gateway to be idle")
    await db.wait_published(context.billing_db, timeout)
    await context.offsets.wait_drained(GATEWAY, BILLING_EVENTS, timeout)


async def settle_all(context: Context, timeout: float = 900) -> None:
    """Billing's outbox published and every consumer group caught up on every topic it reads:
    nothing of an earlier phase is still being consumed."""
    context.status("waiting for billing's outbox and every consumer group to be idle")
    await db.wait_published(context.billing_db, timeout)
    await context.offsets.wait_groups_idle(CONSUMER_GROUPS, timeout)


async def http_run(
    context: Context,
    documents: Documents,
    count: int,
    *,
    server_pid: int | None,
    database: str,
    label: str,
    relay_pid: int | None = None,
) -> dict[str, Any]:
    """`count` invoices by `concurrency` clients, the pipeline running; the client's rate,
    checked against the invoices' commit timestamps in the database. `relay_pid`: the server's
    outbox relay when it runs in a process of its own (its CPU is counted apart)."""
    await settle(context)
    context.status(f"{label}: {count} invoices")
    makes: list[Make] = [documents.invoice] * count
    pids = {
        "bench_client": psutil.Process().pid,
        "server": server_pid,
        "server_relay": relay_pid,
        "postgres": context.target.postgres_pid(),
    }
    async with db.ActivitySampler(context.target.admin_url, database) as sampler:
        with CpuMeter(pids) as cpu:
            load = await closed_loop(makes, context.concurrency)
    answers, elapsed = load.answers, load.seconds
    failed(context, label, load)
    connection = await db.connect(context.target.admin_url, database)
    try:
        commits = await db.invoice_commits(connection, [a.resource_id for a in answers])
    finally:
        await connection.close()
    context.sanity.counts_match(
        f"{label}: invoices committed for 201 answers", len(answers), len(commits)
    )
    instants = sorted(c.timestamp() for c in commits.values())
    database_rate = rate(len(instants) - 1, instants[-1] - instants[0]) if commits else 0.0
    responses = [1000 * a.seconds for a in answers]
    return {
        "invoices": len(answers),
        "failed": len(load.failures),
        "concurrency": context.concurrency,
        "client_seconds": elapsed,
        "client_rate": rate(len(answers), elapsed),
        "database_rate": database_rate,
        "response_ms": latency_summary(responses),
        "cpu_seconds": cpu.used,
        "cpu_ms_per_invoice": cpu.per_request_ms(max(len(answers), 1)),
        "activity": sampler.summary(len(answers)),
    }


async def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{url} not ready within {timeout} s")


async def drain_run(
    context: Context, documents: Documents, count: int, *, profile: str | None = None
) -> dict[str, Any]:
    """A backlog of `count` documents (invoices and payments) built with the gateway stopped,
    then drained. Timed by the database: the start command's instant, then each posting
    transaction's commit; the broker's lag, polled from before the start, cross-checks it."""
    await settle(context)
    target, sanity = context.target, context.sanity
    target.stop_gateway()
    context.status(f"drain: gateway stopped, backlog of {count} documents")
    billing_position = await db.outbox_position(context.billing_db)
    kafka_before = await context.offsets.end(BILLING_EVENTS)
    makes: list[Make] = [
        documents.invoice if i % 2 == 0 else documents.payment for i in range(count)
    ]
    load = await closed_loop(makes, context.concurrency)
    answers, elapsed = load.answers, load.seconds
    failed(context, "drain: backlog", load)
    await db.wait_published(context.billing_db, 120)
    produced = await db.produced_since(
        context.billing_db, billing_position, [a.resource_id for a in answers]
    )
    events = produced.documents
    sanity.counts_match(
        "drain: billing events of the backlog's documents", len(answers), len(events)
    )
    sanity.counts_match(
        "drain: documents answered 201 with an event",
        len(answers),
        len({a.resource_id for a in answers} & set(events.values())),
    )
    records = len(events) + sum(produced.others.values())
    appended_records = appended(kafka_before, await context.offsets.end(BILLING_EVENTS))
    sanity.counts_match("drain: records appended to billing.events", records, appended_records)
    gateway_outbox = await db.outbox_position(context.gateway_db)
    source_ids = list(events)
    profiled: dict[str, Any] = {}
    async with LagPoller(context.offsets, GATEWAY, BILLING_EVENTS) as poller:
        sanity.counts_match(
            "drain: gateway lag before its start", len(events), poller.readings[0].lag
        )
        context.status(f"drain: gateway started, {len(events)} documents' events to journal")
        started_at = await db.now(context.gateway_db)
        target.start_gateway()
        if profile is not None:
            await wait_ready(target.gateway_url)
            with Profile(target.pid(GATEWAY), context.results, profile) as spy:
                profiled["attached_at"] = await db.now(context.gateway_db)
                found = await db.wait_entries(context.gateway_db, source_ids, 600)
            profiled["profile"] = spy
        else:
            found = await db.wait_entries(context.gateway_db, source_ids, 600)
        await poller.drained(120)
    sanity.counts_match("drain: journal entries posted for the backlog", len(events), found)
    entries = await db.entries_for(context.gateway_db, source_ids)
    drain = db.drain_of(started_at, entries)
    sanity.counts_match("drain: entries with a commit timestamp", len(events), drain.entries)
    sanity.drain_longer_than_a_batch(drain, context.batch_size)
    sanity.started_before_first_entry(drain)
    lag = poller.summary()
    zero = lag["start_to_zero_lag_s"]
    # Offsets are committed after the posting transaction: the broker cannot see the end first.
    if zero is not None and zero + 0.1 < drain.start_to_last_s:
        sanity.fail(
            f"drain: lag reached zero {zero} s after the start, before the last entry's commit "
            f"at {drain.start_to_last_s:.3f} s: the two views disagree"
        )
    posted = sorted(e["posted_at"].timestamp() for e in entries)
    first_posted_count = sum(1 for p in posted if p == posted[0])
    result: dict[str, Any] = {
        "documents": count,
        "backlog_http_rate": rate(count, elapsed),
        "events": len(events),
        "other_events_in_backlog": produced.others,
        "records_in_backlog": records,
        "entries": drain.entries,
        "transactions": len(drain.batches),
        "largest_transaction": max(b.entries for b in drain.batches),
        "start_to_first_commit_s": drain.start_to_first_s,
        "first_to_last_commit_s": drain.first_to_last_s,
        "start_to_last_commit_s": drain.start_to_last_s,
        "steady_rate": drain.steady_rate(),
        "overall_rate": drain.overall_rate(),
        "posted_at_first_to_last_s": posted[-1] - posted[0],
        "posted_at_rate": rate(len(posted) - first_posted_count, posted[-1] - posted[0])
        if posted[-1] > posted[0]
        else None,
        "lag_poller": lag,
        "source_ids": source_ids,
        "gateway_outbox_before": gateway_outbox,
    }
    if profiled:
        attached = profiled["attached_at"].timestamp()
        result["profile_attached_before_first_commit"] = attached < drain.first.committed_at
        result["profile_missed_s"] = max(0.0, attached - drain.first.committed_at)
        result["profile"] = profiled["profile"]
    return result


async def latency_run(
    context: Context,
    documents: Documents,
    rate_per_s: float,
    seconds: float,
    max_in_flight: int = 64,
) -> dict[str, Any]:
    """Invoices started at a steady rate, the pipeline running; for each, the commit of its
    journal entry minus the commit of the invoice, both read from the database server."""
    await settle(context)
    sanity = context.sanity
    billing_position = await db.outbox_position(context.billing_db)
    context.status(f"latency: {rate_per_s:g} invoices/s for {seconds:g} s")
    load = await open_loop(documents.invoice, rate_per_s, seconds, max_in_flight)
    answers, sending = load.answers, load.seconds
    failed(context, "latency", load)
    await db.wait_published(context.billing_db, 120)
    produced = await db.produced_since(
        context.billing_db, billing_position, [a.resource_id for a in answers]
    )
    events = produced.documents
    sanity.counts_match("latency: billing events of the invoices", len(answers), len(events))
    found = await db.wait_entries(context.gateway_db, list(events), 300)
    sanity.counts_match("latency: journal entries for the invoices", len(events), found)
    invoices = await db.invoice_commits(context.billing_db, [a.resource_id for a in answers])
    sanity.counts_match("latency: invoices with a commit timestamp", len(answers), len(invoices))
    entries = await db.entries_for(context.gateway_db, list(events))
    latencies = [
        1000 * (entry["committed"] - invoices[events[entry["source_event_id"]]]).total_seconds()
        for entry in entries
        if entry["committed"] is not None and events[entry["source_event_id"]] in invoices
    ]
    sanity.counts_match("latency: entries matched to an invoice", len(answers), len(latencies))
    sanity.no_negative_latency("latency", latencies)
    commits = sorted(c.timestamp() for c in invoices.values())
    return {
        "invoices": len(answers),
        "failed": len(load.failures),
        "skipped_at_max_in_flight": load.skipped,
        "max_in_flight": max_in_flight,
        "asked_rate": rate_per_s,
        "sent_rate": rate(len(answers) + len(load.failures), sending),
        "committed_rate": rate(len(commits) - 1, commits[-1] - commits[0]),
        "other_events_meanwhile": produced.others,
        "commit_to_entry": latency_summary(latencies) if latencies else None,
        "response_ms": latency_summary([1000 * a.seconds for a in answers]),
    }


def medians(runs: list[dict[str, Any]], key: str) -> list[float]:
    return [float(run[key]) for run in runs if run.get(key) is not None]


def describe_http(bare: list[dict[str, Any]], billing: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [b["client_rate"] / r["client_rate"] for b, r in zip(billing, bare, strict=True)]
    return {
        "billing_invoices_per_s": figure(
            spread(medians(billing, "client_rate"), 1),
            "invoices/s",
            CLIENT_MONOTONIC,
            "POST /v1/invoices answered 201, first send to last answer, closed loop, the "
            "gateway consuming",
        ),
        "billing_invoices_per_s_by_commits": figure(
            spread(medians(billing, "database_rate"), 1),
            "invoices/s",
            DATABASE,
            "the same invoices: (n - 1) / (last commit - first commit)",
        ),
        "bare_invoices_per_s": figure(
            spread(medians(bare, "client_rate"), 1),
            "invoices/s",
            CLIENT_MONOTONIC,
            "the bare endpoint, same client, same concurrency, same rows",
        ),
        "bare_invoices_per_s_by_commits": figure(
            spread(medians(bare, "database_rate"), 1),
            "invoices/s",
            DATABASE,
            "the bare endpoint's invoices: (n - 1) / (last commit - first commit)",
        ),
        "ratio_to_bare": figure(
            spread(ratios, 3),
            "ratio",
            CLIENT_MONOTONIC,
            "billing's rate over the bare endpoint's, repetition by repetition (each pair "
            "measured back to back)",
        ),
        "counter_wait_ms_per_invoice": figure(
            spread([r["activity"]["counter_wait_ms_per_invoice"] for r in billing], 3),
            "ms/invoice",
            CLIENT_MONOTONIC,
            "billing sessions seen waiting on a lock while running the numbering counter's "
            "UPSERT (pg_stat_activity sampled every ~10 ms) × the sampling interval, per invoice",
        ),
        "runs": {"billing": billing, "bare": bare},
    }


def describe_drain(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "events_per_s": figure(
            spread(medians(runs, "steady_rate"), 1),
            "events/s",
            DATABASE,
            "entries committed after the first posting transaction / (last commit - first "
            "commit): the gateway's drain rate once it consumes",
        ),
        "events_per_s_from_start": figure(
            spread(medians(runs, "overall_rate"), 1),
            "events/s",
            DATABASE,
            "all the backlog's entries / (last commit - the start command's instant): "
            "includes the process start and the group join",
        ),
        "start_to_first_entry_s": figure(
            spread(medians(runs, "start_to_first_commit_s"), 3),
            "s",
            DATABASE,
            "the start command's instant (clock_timestamp()) to the first entry's commit",
        ),
        "drain_s": figure(
            spread(medians(runs, "first_to_last_commit_s"), 3),
            "s",
            DATABASE,
            "first entry's commit to last entry's commit",
        ),
        "drain_s_by_posted_at": figure(
            spread(medians(runs, "posted_at_first_to_last_s"), 3),
            "s",
            GATEWAY_WALL,
            "first to last posted_at of the backlog's entries (cross-check)",
        ),
        "start_to_zero_lag_s": figure(
            spread([float(r["lag_poller"]["start_to_zero_lag_s"]) for r in runs], 3),
            "s",
            CLIENT_MONOTONIC,
            "a lag poller started before the gateway: its start to the committed offsets "
            "reaching the topic's end (cross-check: never before the last commit)",
        ),
        "runs": runs,
    }


def describe_latency(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def of(key: str) -> list[float]:
        return [float(r["commit_to_entry"][key]) for r in runs if r["commit_to_entry"]]

    covers = "invoice's commit to its journal entry's commit (pg_xact_commit_timestamp)"
    return {
        "p50_ms": figure(spread(of("p50_ms"), 2), "ms", DATABASE, f"p50 of each run: {covers}"),
        "p95_ms": figure(spread(of("p95_ms"), 2), "ms", DATABASE, f"p95 of each run: {covers}"),
        "p99_ms": figure(spread(of("p99_ms"), 2), "ms", DATABASE, f"p99 of each run: {covers}"),
        "committed_rate_per_s": figure(
            spread(medians(runs, "committed_rate"), 1),
            "invoices/s",
            DATABASE,
            "(n - 1) / (last invoice commit - first invoice commit): the rate sustained",
        ),
        "sent_rate_per_s": figure(
            spread(medians(runs, "sent_rate"), 1),
            "invoices/s",
            CLIENT_MONOTONIC,
            "requests started per second (open loop)",
        ),
        "response_p99_ms": figure(
            spread([float(r["response_ms"]["p99_ms"]) for r in runs], 2),
            "ms",
            CLIENT_MONOTONIC,
            "POST sent to 201 received, p99 of each run",
        ),
        "runs": runs,
    }
