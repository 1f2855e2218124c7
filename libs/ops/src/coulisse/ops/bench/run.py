"""`coulisse bench`: the phases in order, each repeated, and the report.

1. Customers, created through the customer service and known to billing.
2. HTTP: invoices by concurrent clients against billing (the gateway consuming meanwhile) and
   against the bare endpoint, back to back in each repetition; one more billing repetition
   under py-spy, not counted.
3. Drain: the gateway stopped while a backlog builds, then started and timed by the database's
   commit timestamps; one more repetition under py-spy, not counted.
4. Latency: invoices at a steady rate, invoice commit to journal entry commit.
5. Raw limits: Kafka produce→consume of as many records of the same size, and the rows the last
   drain posted inserted again by COPY, in batches of the consumer's size.
6. Reporting: a customer's 360° view with 10,000 events in their timeline, timed by one client;
   then invoices at a steady rate while a stream is open, each from its commit to its event's
   arrival on the stream.
7. FEC: the books of at least 1,000,000 lines of one fiscal year in a database of their own
   (loaded once through the gateway's posting code, then kept), exported by a gateway process
   of its own, timed by one client while the process's memory is sampled.

`--phases` runs some of them (the customers are always created); a target whose phase did not
run is not measured. A run whose figures are impossible (see `figures.Sanity`) is reported as
invalid.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from coulisse.ops import procs
from coulisse.ops.bench import bare, fec_books, raw_postgres
from coulisse.ops.bench import database as db
from coulisse.ops.bench.broker import Offsets, raw_kafka
from coulisse.ops.bench.customer_360 import describe_view, load_history, view_run
from coulisse.ops.bench.drive import Documents, Poster, account_number, create_customers
from coulisse.ops.bench.fec import describe_fec
from coulisse.ops.bench.fec import measure as measure_fec
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    CLOCKS,
    CUSTOMER_360_EVENTS,
    P4_LINES,
    PHASES,
    Sanity,
    figure,
    ratio,
    spread,
    targets,
)
from coulisse.ops.bench.phases import (
    BILLING,
    BILLING_RELAY,
    Context,
    Target,
    describe_drain,
    describe_http,
    describe_latency,
    drain_run,
    http_run,
    latency_run,
    settle,
)
from coulisse.ops.bench.profiling import Profile
from coulisse.ops.bench.served import ServedProcess
from coulisse.ops.bench.streams import describe_stream, stream_run
from coulisse.ops.postgres import ensure_service_database
from coulisse.platform.clock import default_clock


@dataclass
class BenchConfig:
    customers: int = 20
    documents: int = 2000
    """Invoices and payments (half each) of each drain's backlog."""
    invoices: int = 1000
    """Invoices of each HTTP repetition."""
    concurrency: int = 32
    latency_rate: float = 200.0
    latency_seconds: float = 10.0
    repeats: int = 3
    profile: bool = True
    batch_size: int = 500
    """The gateway's consumer batch size (COULISSE_CONSUMER_BATCH_SIZE)."""
    phases: tuple[str, ...] = PHASES
    timeline_events: int = CUSTOMER_360_EVENTS
    """Events of the 360° view's customer; fewer than 10,000 make the run invalid."""
    open_invoices: int = 10
    """Invoices of that customer left unpaid: the view lists them."""
    view_calls: int = 200
    view_warm_up: int = 5
    stream_rate: float = 10.0
    stream_seconds: float = 20.0
    stream_poll_seconds: str = "not set: the service's default"
    """Reporting's COULISSE_STREAM_POLL_SECONDS, as the stack sets it."""
    fec_lines: int = P4_LINES
    """FEC lines the P4 books hold at least; fewer than P4_LINES leave P4 invalid."""


def phases_of(text: str) -> tuple[str, ...]:
    """`--phases http,reporting` → the phases to run, in the run's order; the raw limits need
    the drain (they copy the rows of its last repetition)."""
    asked = {name.strip() for name in text.split(",") if name.strip()}
    unknown = sorted(asked - set(PHASES))
    if unknown or not asked:
        raise ValueError(f"unknown phases {unknown or text!r}; known: {', '.join(PHASES)}")
    if "raw" in asked and "drain" not in asked:
        raise ValueError("the raw limits copy the last drain's rows: raw needs drain")
    return tuple(name for name in PHASES if name in asked)


@dataclass
class Report:
    started_at: str
    machine: dict[str, Any]
    config: dict[str, Any]
    clocks: dict[str, str] = field(default_factory=lambda: dict(CLOCKS))
    stack: dict[str, Any] = field(default_factory=dict)
    valid: bool = False
    invalid: list[str] = field(default_factory=list)
    http: dict[str, Any] = field(default_factory=dict)
    journaling: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    raw_limit: dict[str, Any] = field(default_factory=dict)
    ratio_of_raw_limit: dict[str, Any] | None = None
    reporting: dict[str, Any] = field(default_factory=dict)
    fec: dict[str, Any] = field(default_factory=dict)
    profiles: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)


def asyncpg_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def bare_endpoint(dsn: str, log: Path) -> ServedProcess:
    """The bare reference in a uvicorn process of its own, on a free port."""
    port = procs.free_port()
    command = [sys.executable, "-m", "coulisse.ops.bench.bare", "--port", str(port), "--dsn", dsn]
    return ServedProcess(command, log, port=port)


async def run(
    target: Target,
    config: BenchConfig,
    results: Path,
    stamp: str,
    status: Callable[[str], None] = print,
) -> Report:
    report = Report(
        started_at=default_clock().now().isoformat(),
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        config=asdict(config),
    )
    sanity = Sanity()
    admin = target.admin_url
    billing_db = await db.connect(admin, db.BILLING_DB)
    gateway_db = await db.connect(admin, db.GATEWAY_DB)
    bare_dsn = asyncpg_url(await ensure_service_database(admin, "bench_bare"))
    raw_dsn = asyncpg_url(await ensure_service_database(admin, "bench_raw"))
    billing = Poster(target.billing_url, target.token)
    try:
        settings = await db.server_settings(billing_db)
        report.stack["postgres"] = settings
        if settings.get("track_commit_timestamp") != "on":
            raise RuntimeError("track_commit_timestamp is off: the figures need commit instants")
        status(f"{config.customers} customers")
        customers = await create_customers(
            target.customer_url, billing, target.token, config.customers
        )
        if "http" in config.phases:
            bare_db = await db.connect_url(bare_dsn)
            try:
                await bare.create_schema(bare_db)
                differences = await db.schema_differences(billing_db, bare_db, bare.TABLES)
                report.stack["bare_schema_differences"] = differences
                if differences:
                    sanity.fail(f"the bare tables differ from billing's: {differences[:5]}")
                await bare.copy_customers(billing_db, bare_db)
            finally:
                await bare_db.close()
        async with Offsets(target.kafka) as offsets:
            context = Context(
                target=target,
                offsets=offsets,
                billing_db=billing_db,
                gateway_db=gateway_db,
                sanity=sanity,
                batch_size=config.batch_size,
                concurrency=config.concurrency,
                results=results,
                stamp=stamp,
                status=status,
            )
            documents = Documents(billing, customers)
            phases = config.phases
            last_drain: dict[str, Any] = {}
            try:
                if "http" in phases:
                    await http_phase(context, documents, config, bare_dsn, report)
                if "drain" in phases:
                    last_drain = await drain_phase(context, documents, config, report)
                if "latency" in phases:
                    await latency_phase(context, documents, config, report)
                if "raw" in phases:
                    await raw_phase(context, config, last_drain, raw_dsn, report)
                if "reporting" in phases:
                    await reporting_phase(context, documents, config, report)
                if "fec" in phases:
                    await fec_phase(context, config, report)
            except Exception as exc:
                # What was measured so far is kept, and the run is invalid: it did not finish.
                sanity.fail(f"the run stopped: {type(exc).__name__}: {str(exc)[:500]}")
    finally:
        await billing.aclose()
        await billing_db.close()
        await gateway_db.close()
    summarise(report, sanity, config.phases)
    return report


async def http_phase(
    context: Context, documents: Documents, config: BenchConfig, bare_dsn: str, report: Report
) -> None:
    results = context.results
    bare_runs: list[dict[str, Any]] = []
    billing_runs: list[dict[str, Any]] = []
    async with bare_endpoint(bare_dsn, results / f"bench-{context.stamp}-bare.log") as endpoint:
        bare_poster = Poster(endpoint.url, context.target.token)
        try:
            bare_documents = Documents(bare_poster, documents.customer_ids)
            for repetition in range(config.repeats):
                bare_runs.append(
                    await http_run(
                        context,
                        bare_documents,
                        config.invoices,
                        server_pid=endpoint.pid,
                        database="coulisse_bench_bare",
                        label=f"bare endpoint, run {repetition + 1}",
                    )
                )
                billing_runs.append(
                    await http_run(
                        context,
                        documents,
                        config.invoices,
                        server_pid=context.target.pid(BILLING),
                        relay_pid=context.target.pid(BILLING_RELAY),
                        database=db.BILLING_DB,
                        label=f"billing, run {repetition + 1}",
                    )
                )
        finally:
            await bare_poster.aclose()
    report.http = describe_http(bare_runs, billing_runs)
    if config.profile:
        name = f"bench-{context.stamp}-billing-invoice-post"
        with Profile(context.target.pid(BILLING), results, name) as spy:
            profiled = await http_run(
                context,
                documents,
                config.invoices,
                server_pid=context.target.pid(BILLING),
                database=db.BILLING_DB,
                label="billing, profiled run",
            )
        report.profiles["billing_invoice_post"] = {
            **spy.summary(results.parent.parent),
            "run_not_counted": {
                "client_rate": round(profiled["client_rate"], 1),
                "invoices": profiled["invoices"],
            },
        }


async def drain_phase(
    context: Context, documents: Documents, config: BenchConfig, report: Report
) -> dict[str, Any]:
    async def fresh() -> Documents:
        # Customers of its own for each backlog: a payment locks its customer's open invoices,
        # and those of the earlier repetitions must not make the later ones slower.
        context.status(f"drain: {config.customers} fresh customers")
        customers = await create_customers(
            context.target.customer_url, documents.poster, context.target.token, config.customers
        )
        return Documents(documents.poster, customers)

    runs = [
        await drain_run(context, await fresh(), config.documents) for _ in range(config.repeats)
    ]
    last = runs[-1]
    if config.profile:
        name = f"bench-{context.stamp}-gateway-drain"
        profiled = await drain_run(context, await fresh(), config.documents, profile=name)
        spy: Profile = profiled.pop("profile")
        report.profiles["gateway_drain"] = {
            **spy.summary(context.results.parent.parent),
            "attached_before_first_commit": profiled["profile_attached_before_first_commit"],
            "missed_s": round(profiled["profile_missed_s"], 3),
            "run_not_counted": {"events_per_s": round(profiled["steady_rate"], 1)},
        }
    # The events' ids stay here, for the raw phase; the JSON keeps their count.
    report.journaling = describe_drain(
        [
            {
                **{
                    k: v for k, v in run.items() if k not in {"gateway_outbox_before", "source_ids"}
                },
                "source_events": len(run["source_ids"]),
            }
            for run in runs
        ]
    )
    return last


async def latency_phase(
    context: Context, documents: Documents, config: BenchConfig, report: Report
) -> None:
    runs = [
        await latency_run(context, documents, config.latency_rate, config.latency_seconds)
        for _ in range(config.repeats)
    ]
    report.latency = describe_latency(runs)


async def raw_phase(
    context: Context,
    config: BenchConfig,
    last_drain: dict[str, Any],
    raw_dsn: str,
    report: Report,
) -> None:
    await settle(context)
    context.status("raw limits: Kafka produce→consume, PostgreSQL COPY of the drain's rows")
    sizes = await context.billing_db.fetch(
        "SELECT length(value) AS size FROM outbox ORDER BY position DESC LIMIT 200"
    )
    size = int(statistics.fmean(r["size"] for r in sizes)) if sizes else 1000
    events = config.documents
    kafka_runs = []
    for _ in range(config.repeats):
        found = await raw_kafka(context.target.kafka, events, size)
        kafka_runs.append(found["messages"] / found["seconds"])
    rows = await raw_postgres.posted_rows(
        context.gateway_db, last_drain["source_ids"], last_drain["gateway_outbox_before"]
    )
    context.sanity.counts_match(
        "raw: entries read back from the last drain", events, len(rows.entries)
    )
    raw_db = await db.connect_url(raw_dsn)
    postgres_runs = []
    try:
        for _ in range(config.repeats):
            await raw_postgres.create_schema(raw_db)
            found = await raw_postgres.insert_copies(raw_db, rows, config.batch_size)
            postgres_runs.append(found["events"] / found["seconds"])
        differences = await db.schema_differences(context.gateway_db, raw_db, raw_postgres.TABLES)
    finally:
        await raw_db.close()
    if differences:
        context.sanity.fail(f"the raw tables differ from the gateway's: {differences[:5]}")
    kafka = spread(kafka_runs, 1)
    postgres = spread(postgres_runs, 1)
    limit = min(kafka["median"], postgres["median"])
    report.raw_limit = {
        "kafka_produce_consume": figure(
            kafka,
            "records/s",
            CLIENT_MONOTONIC,
            f"{events} records of {size} bytes (billing's mean event size), idempotent "
            "producer (acks=all), 6 partitions, a consumer group reading meanwhile: first "
            "send to last record read",
        ),
        "postgres_batched_inserts": figure(
            postgres,
            "events/s",
            CLIENT_MONOTONIC,
            f"the last drain's {events} entries with their lines, matches, inbox and outbox "
            f"rows ({rows.per_event()} per event) and the counters' UPSERT, copied by COPY in "
            f"transactions of {config.batch_size} events into tables built like the "
            "gateway's, same server",
        ),
        "events_per_s": limit,
        "schema_differences": differences,
    }
    pipeline = report.journaling["events_per_s"]["value"]["median"]
    value = ratio(pipeline, limit)
    context.sanity.ratio_at_most_one("pipeline rate / raw limit", value)
    report.ratio_of_raw_limit = figure(
        round(value, 3),
        "ratio",
        "database",
        "median drain rate (database clock) over the lower median raw limit (client clock): "
        "two durations, each measured on one clock",
    )


async def reporting_phase(
    context: Context, documents: Documents, config: BenchConfig, report: Report
) -> None:
    target = context.target
    reporting_db = await db.connect(target.admin_url, db.REPORTING_DB)
    try:
        context.status("360: a customer of its own")
        (customer_id,) = await create_customers(
            target.customer_url, documents.poster, target.token, 1
        )
        account = await account_number(target.customer_url, target.token, customer_id)
        load = await load_history(
            context,
            reporting_db,
            UUID(customer_id),
            account,
            events=config.timeline_events,
            open_invoices=config.open_invoices,
        )
        report.reporting["customer_360"] = {"customer_id": customer_id, "history": load}
        views = [
            await view_run(
                context,
                reporting_db,
                UUID(customer_id),
                calls=config.view_calls,
                warm_up=config.view_warm_up,
            )
            for _ in range(config.repeats)
        ]
        report.reporting["customer_360"] = {
            "customer_id": customer_id,
            **describe_view(load, views),
        }
    finally:
        await reporting_db.close()
    streams = [
        await stream_run(context, documents, config.stream_rate, config.stream_seconds)
        for _ in range(config.repeats)
    ]
    report.reporting["stream"] = describe_stream(streams, config.stream_poll_seconds)


async def fec_phase(context: Context, config: BenchConfig, report: Report) -> None:
    target = context.target
    books, environment = await fec_books.ensure_books(
        target.admin_url, target.gateway_environment, config.fec_lines, context.status
    )
    report.fec = {"books": books}
    context.sanity.at_least(f"FEC: lines of {books['fiscal_year']}", P4_LINES, books["lines"])
    # The stack's own pipeline idle: the exports share the machine with it.
    await settle(context)
    context.status(f"fec: {config.repeats} exports of {books['lines']:,} lines")
    runs = await measure_fec(
        environment,
        asyncpg_url(environment["DATABASE_URL"]),
        target.accounting_token,
        books["fiscal_year"],
        config.repeats,
        context.sanity,
        context.results / f"bench-{context.stamp}-fec-gateway.log",
        target.postgres_pid(),
    )
    report.fec = describe_fec(books, runs)


def summarise(report: Report, sanity: Sanity, phases: tuple[str, ...] = PHASES) -> None:
    """The sanity checks that still need the whole report, then the verdicts on the targets."""

    def median(section: dict[str, Any], key: str) -> float | None:
        found = section.get(key)
        return None if found is None else float(found["value"]["median"])

    http_ratio = median(report.http, "ratio_to_bare")
    if http_ratio is not None:
        for value in report.http["ratio_to_bare"]["value"]["runs"]:
            sanity.ratio_at_most_one("billing's rate / the bare endpoint's", value)
    report.valid = sanity.valid
    report.invalid = list(sanity.problems)
    report.targets = targets(
        valid=sanity.valid,
        pipeline_rate=median(report.journaling, "events_per_s"),
        pipeline_ratio=None
        if report.ratio_of_raw_limit is None
        else float(report.ratio_of_raw_limit["value"]),
        http_rate=median(report.http, "billing_invoices_per_s"),
        http_ratio=http_ratio,
        counter_wait_ms=median(report.http, "counter_wait_ms_per_invoice"),
        latency_rate=median(report.latency, "committed_rate_per_s"),
        latency_p50_ms=median(report.latency, "p50_ms"),
        latency_p99_ms=median(report.latency, "p99_ms"),
        fec_seconds=median(report.fec, "seconds"),
        fec_peak_rss_mb=median(report.fec, "peak_rss_mb"),
        customer_360_p95_ms=median(report.reporting.get("customer_360", {}), "first_page_p95_ms"),
        stream_p50_ms=median(report.reporting.get("stream", {}), "p50_ms"),
        stream_p99_ms=median(report.reporting.get("stream", {}), "p99_ms"),
        phases=phases,
    )


def write(report: Any, directory: Path, name: str = "bench", stamp: str | None = None) -> Path:
    """`<name>-<instant>.json` and a copy as the latest of its name (`latest.json` for the
    benchmark, `<name>-latest.json` otherwise). An invalid benchmark run is written as
    `<name>-<instant>.invalid.json` and never becomes the latest result."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or default_clock().now().strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(asdict(report), indent=2, default=str) + "\n"
    if getattr(report, "valid", True) is False:
        path = directory / f"{name}-{stamp}.invalid.json"
        path.write_text(text)
        return path
    path = directory / f"{name}-{stamp}.json"
    path.write_text(text)
    (directory / ("latest.json" if name == "bench" else f"{name}-latest.json")).write_text(text)
    return path
