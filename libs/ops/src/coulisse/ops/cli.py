"""`coulisse`: run the whole system on one machine, and mint local tokens."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from coulisse.ops import demo
from coulisse.ops.demo_billing import load_billing_demo
from coulisse.ops.kafka import KafkaError, ensure_jars
from coulisse.ops.paths import layout
from coulisse.ops.postgres import PostgresError
from coulisse.ops.services import SERVICES
from coulisse.ops.stack import NotReady, Stack, readyz
from coulisse.ops.supervise import SupervisorError
from coulisse.ops.tokens import DEFAULT_SUBJECT, expand_scopes, mint
from coulisse.ops.tools import ensure_all
from coulisse.ops.topics import create_topics

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run Coulisse locally: a real Kafka broker, PostgreSQL and the services.",
)
# Progress and notices go to stderr, so that stdout carries only results (a token, a table).
err = Console(stderr=True)
out = Console()

UP_TOKEN_TTL = 12 * 3600


@contextlib.contextmanager
def step(title: str) -> Iterator[Callable[[str], None]]:
    started = time.monotonic()
    with err.status(f"[bold]{title}[/]…") as spinner:

        def update(message: str) -> None:
            spinner.update(f"[bold]{title}[/]: {message}")

        yield update
    err.print(f"[green]✓[/] {title} [dim]({time.monotonic() - started:.1f} s)[/]")


def fail(message: str, detail: str | None = None) -> typer.Exit:
    err.print(f"[bold red]✗ {message}[/]")
    if detail:
        err.print(Panel(detail, title="log", border_style="red", expand=False))
    return typer.Exit(1)


async def load_billing(base_url: str, token: str, customers: list[dict[str, Any]]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await load_billing_demo(client, customers)


@app.command()
def up(
    kafka_port: Annotated[int, typer.Option(envvar="COULISSE_KAFKA_PORT")] = 9092,
    kafka_controller_port: Annotated[
        int, typer.Option(envvar="COULISSE_KAFKA_CONTROLLER_PORT")
    ] = 9093,
    postgres_port: Annotated[int, typer.Option(envvar="COULISSE_POSTGRES_PORT")] = 55432,
    demo_data: Annotated[bool, typer.Option("--demo/--no-demo", help="Load demo data.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 120.0,
) -> None:
    """Start PostgreSQL, Kafka and every implemented service; load demo data. Idempotent."""
    paths = layout()
    stack = Stack.load(paths)
    stack.state.kafka_port = kafka_port
    stack.state.kafka_controller_port = kafka_controller_port
    stack.state.postgres_port = postgres_port
    services = [s for s in SERVICES if s.implemented()]
    skipped = [s.name for s in SERVICES if s not in services]
    stack.state.services = [s.name for s in services]
    stack.state.skipped = skipped
    if skipped:
        err.print(f"[yellow]Not implemented yet, skipped:[/] {', '.join(skipped)}")
    try:
        with step("Kafka jars") as update:
            ensure_jars(paths, update)
        postgres = stack.postgres
        if postgres.available:
            stack.state.database = "postgres"
            with step(f"PostgreSQL on 127.0.0.1:{postgres_port}") as update:
                postgres.start(update)
            if postgres.in_private_folder:
                err.print(
                    f"  the `postgres` user cannot enter this checkout: the cluster is in "
                    f"{postgres.area} (linked from {postgres.nominal})"
                )
        else:
            stack.state.database = "sqlite"
            err.print(
                "[yellow]PostgreSQL server binaries not found (set COULISSE_PG_BIN): each "
                f"service uses an SQLite file under {paths.run}[/]"
            )
        stack.save()
        kafka = stack.kafka
        with step(f"Kafka on {kafka.bootstrap_servers}") as update:
            kafka.start(update)
        with step("Topics") as update:
            created, existing = asyncio.run(create_topics(kafka.bootstrap_servers))
            update(f"{len(created)} created, {len(existing)} existing")
        with step("Databases"):
            urls = asyncio.run(stack.database_urls(services))
        envs = {s.name: stack.environment(s, urls[s.name]) for s in services}
        with step("Migrations"):
            stack.migrate(envs)
        with step("Services under supervisord"):
            stack.supervisor.apply(stack.programs(envs))
        with step("Readiness (GET /readyz)") as update:
            asyncio.run(stack.wait_ready(timeout, update))
        token = mint(paths.jwt_secret, ["all"], subject=DEFAULT_SUBJECT, ttl_seconds=UP_TOKEN_TTL)
        customer = next((s for s in services if s.name == "customer"), None)
        if demo_data and customer is not None:
            with step("Demo data"):
                report = asyncio.run(demo.load(customer.base_url, token))
            err.print(
                f"  customers: {report.customers_created} created, {report.customers_found} "
                f"already there; requests: {report.requests_created} created, "
                f"{report.requests_found} already there"
            )
            billing = next((s for s in services if s.name == "billing"), None)
            if billing is not None:
                with step("Billing demo data (invoices, payments, credit notes, a refund)"):
                    asyncio.run(load_billing(billing.base_url, token, report.customers))
    except NotReady as exc:
        raise fail(str(exc), exc.log_tail) from exc
    except (KafkaError, PostgresError, SupervisorError, RuntimeError) as exc:
        raise fail(str(exc)) from exc

    table = Table(title="Coulisse is up", title_justify="left")
    table.add_column("service")
    table.add_column("API docs")
    for service in services:
        table.add_row(service.name, f"{service.base_url}/docs")
    out.print(table)
    out.print(f"Logs: {paths.logs}/<service>.log, kafka.log, postgres.log, supervisord.log")
    out.print(f"Kafka: {stack.kafka.bootstrap_servers}   database: {stack.state.database}")
    out.print(f"A local token with every scope (valid {UP_TOKEN_TTL // 3600} h):")
    out.print(token, soft_wrap=True, highlight=False)
    out.print("Stop everything with `make down` (or `coulisse down`).")


@app.command()
def down(
    purge: Annotated[
        bool, typer.Option(help="Also delete the local data (Kafka, PostgreSQL, SQLite, logs).")
    ] = False,
) -> None:
    """Stop what `up` started, by the pids it recorded: services, Kafka, PostgreSQL."""
    paths = layout()
    stack = Stack.load(paths)
    for name, stop in (
        ("supervisord and the services", stack.supervisor.stop),
        ("Kafka", stack.kafka.stop),
        ("PostgreSQL", stack.postgres.stop),
    ):
        with err.status(f"stopping {name}…"):
            stopped = stop()
        err.print(f"[green]✓[/] {name} {'stopped' if stopped else 'was not running'}")
    if purge:
        # First, while the link to a private folder still says where the cluster is.
        postgres = stack.postgres
        postgres.remove_files()
        if postgres.area != postgres.nominal:
            err.print(f"[green]✓[/] PostgreSQL's data under {postgres.area} deleted")
    if purge and paths.run.exists():
        for child in paths.run.iterdir():
            if child != paths.jwt_secret:
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        err.print(f"[green]✓[/] local data under {paths.run} deleted (the JWT secret is kept)")


@app.command()
def status() -> None:
    """Each process that `up` manages: pid, alive, readiness."""
    paths = layout()
    stack = Stack.load(paths)
    table = Table()
    for column in ("process", "pid", "alive", "detail"):
        table.add_column(column)

    def row(name: str, pid: int | None, detail: str) -> None:
        table.add_row(name, str(pid or "-"), "[green]yes[/]" if pid else "[red]no[/]", detail)

    if stack.state.database == "postgres":
        postgres = stack.postgres
        row("postgresql", postgres.pid(), f"127.0.0.1:{stack.state.postgres_port}, {postgres.area}")
    else:
        table.add_row("postgresql", "-", "-", "not used: SQLite files")
    row("kafka", stack.kafka.pid(), stack.kafka.bootstrap_servers)
    row("supervisord", stack.supervisor.pid(), str(stack.supervisor.conf))
    processes = stack.supervisor.processes()

    async def readiness() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=5) as client:
            answers = await asyncio.gather(*(readyz(client, s) for s in stack.services()))
        return {s.name: a[0] for s, a in zip(stack.services(), answers, strict=True)}

    ready = asyncio.run(readiness())
    for service in stack.services():
        info = processes.get(service.name, {})
        pid = info.get("pid") or None
        state = info.get("statename", "not supervised")
        row(service.name, pid, f"{state}; /readyz: {ready[service.name]}")
    for name in stack.state.skipped:
        table.add_row(name, "-", "-", "not implemented yet")
    out.print(table)


@app.command()
def tools() -> None:
    """Install the programs the tests run (hledger) when missing. Never fails: says what to do."""
    for outcome in ensure_all(report=lambda message: err.print(f"  {escape(message)}")):
        mark = "[green]✓[/]" if outcome.path else "[yellow]![/]"
        err.print(f"{mark} {escape(outcome.message)}")


@app.command()
def topics(
    bootstrap: Annotated[
        str | None, typer.Option(help="Bootstrap servers; default: the broker `up` started.")
    ] = None,
) -> None:
    """Create the system's topics (existing ones are kept)."""
    if bootstrap is None:
        stack = Stack.load(layout())
        if stack.kafka.pid() is None:
            raise fail("no local broker is running: run `coulisse up` or pass --bootstrap")
        bootstrap = stack.kafka.bootstrap_servers
    try:
        created, existing = asyncio.run(create_topics(bootstrap))
    except Exception as exc:
        raise fail(f"cannot create topics on {bootstrap}: {exc}") from exc
    for name in created:
        err.print(f"[green]created[/] {name}")
    for name in existing:
        err.print(f"[dim]exists[/]  {name}")


@app.command()
def token(
    scope: Annotated[
        list[str], typer.Option("--scope", "-s", help="A scope, repeatable; `all` for every scope.")
    ],
    sub: Annotated[str, typer.Option(help="The subject: the actor of the events.")] = (
        DEFAULT_SUBJECT
    ),
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.", min=1)] = 3600,
) -> None:
    """Print a local HS256 bearer token, and nothing else, on stdout."""
    try:
        scopes = expand_scopes(scope)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    print(mint(layout().jwt_secret, scopes, subject=sub, ttl_seconds=ttl))


@app.command()
def bench(
    documents: Annotated[
        int, typer.Option(help="Invoices + payments for the journaling phase.")
    ] = 2000,
    concurrency: Annotated[int, typer.Option(help="Concurrent HTTP clients.")] = 32,
    rate: Annotated[float, typer.Option(help="Events per second of the latency phase.")] = 200.0,
    seconds: Annotated[float, typer.Option(help="Length of the latency phase.")] = 10.0,
) -> None:
    """Measure the running system (start it with `coulisse up`); results as JSON in bench/results/."""
    from coulisse.ops import bench as benchmark

    paths = layout()
    stack = Stack.load(paths)
    needed = {"customer", "billing", "accounting-gateway"}
    running = {
        name
        for name, info in stack.supervisor.processes().items()
        if info["statename"] == "RUNNING"
    }
    if not needed <= running:
        raise fail(
            f"the benchmark needs {', '.join(sorted(needed))} running: run `coulisse up` first"
        )
    by_name = {s.name: s for s in SERVICES}
    endpoints = benchmark.Endpoints(
        customer=by_name["customer"].base_url,
        billing=by_name["billing"].base_url,
        gateway=by_name["accounting-gateway"].base_url,
        kafka=stack.kafka.bootstrap_servers,
        postgres_admin_url=stack.postgres.admin_url if stack.state.database == "postgres" else None,
        token=mint(paths.jwt_secret, ["all"], subject="bench", ttl_seconds=3600),
        stop_gateway=lambda: stack.supervisor.stop_program(benchmark.GATEWAY),
        start_gateway=lambda: stack.supervisor.start_program(benchmark.GATEWAY),
    )
    config = benchmark.BenchConfig(
        documents=documents, concurrency=concurrency, latency_rate=rate, latency_seconds=seconds
    )
    with step("Benchmark (customers, backlog, drain, latency, raw limits)"):
        report = asyncio.run(benchmark.run(endpoints, config))
    path = benchmark.write(report, paths.root / "bench" / "results")
    out.print_json(
        data={
            "http": report.http,
            "journaling": report.journaling,
            "latency": report.latency,
            "raw_limit": report.raw_limit,
            "ratio_of_raw_limit": report.ratio_of_raw_limit,
        }
    )
    err.print(f"Results: {path}")
