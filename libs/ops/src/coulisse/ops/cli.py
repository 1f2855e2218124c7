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

from coulisse.contracts.topics import CONSUMER_GROUPS, dlq_topic
from coulisse.ops import dead_letters, demo, signals, zipkin
from coulisse.ops.demo_billing import load_billing_demo
from coulisse.ops.demo_collections import load_collections
from coulisse.ops.kafka import PROGRAM as KAFKA
from coulisse.ops.kafka import KafkaError, ensure_jars
from coulisse.ops.mailsink import DEFAULT_PORT as DEFAULT_MAIL_PORT
from coulisse.ops.mailsink import read_mail, readable, received_mails
from coulisse.ops.paths import Layout, layout
from coulisse.ops.postgres import PROGRAM as POSTGRES
from coulisse.ops.postgres import PostgresError
from coulisse.ops.services import SERVICES
from coulisse.ops.stack import MAILSINK, NotReady, Stack, readyz
from coulisse.ops.supervise import SupervisorError
from coulisse.ops.tokens import DEFAULT_SUBJECT, dashboard_url, expand_scopes, mint
from coulisse.ops.tools import ensure_all
from coulisse.ops.topics import create_topics
from coulisse.platform.clock import default_clock, today

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Run Coulisse locally: a real Kafka broker, PostgreSQL and the services.",
)
# Progress and notices go to stderr, so that stdout carries only results (a token, a table).
err = Console(stderr=True)
out = Console()

UP_TOKEN_TTL = 12 * 3600
PORT_HELP = (
    "Default: {} in the default run folder; in another (COULISSE_RUN_DIR) the port its last "
    "`up` chose, or a free one."
)


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


async def load_billing(
    base_url: str, token: str, customers: list[dict[str, Any]], requests: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
        await load_billing_demo(client, customers, requests=requests)


@app.command()
def up(
    kafka_port: Annotated[
        int | None, typer.Option(envvar="COULISSE_KAFKA_PORT", help=PORT_HELP.format(9092))
    ] = None,
    kafka_controller_port: Annotated[
        int | None,
        typer.Option(envvar="COULISSE_KAFKA_CONTROLLER_PORT", help=PORT_HELP.format(9093)),
    ] = None,
    postgres_port: Annotated[
        int | None, typer.Option(envvar="COULISSE_POSTGRES_PORT", help=PORT_HELP.format(55432))
    ] = None,
    mail_port: Annotated[
        int | None,
        typer.Option(
            envvar="COULISSE_MAIL_PORT",
            help="The local SMTP sink's port. " + PORT_HELP.format(DEFAULT_MAIL_PORT),
        ),
    ] = None,
    demo_data: Annotated[bool, typer.Option("--demo/--no-demo", help="Load demo data.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 120.0,
    traces: Annotated[
        bool, typer.Option("--traces/--no-traces", help="Run Zipkin; the services send it spans.")
    ] = True,
    zipkin_port: Annotated[
        int | None,
        typer.Option(
            envvar="COULISSE_ZIPKIN_PORT",
            help="The trace viewer's port. " + PORT_HELP.format(zipkin.DEFAULT_PORT),
        ),
    ] = None,
) -> None:
    """Start PostgreSQL, Kafka and every implemented service; load demo data. Idempotent."""
    paths = layout()
    stack = Stack.load(paths)
    implemented = [s for s in SERVICES if s.implemented()]
    skipped = [s.name for s in SERVICES if s not in implemented]
    stack.choose_ports(
        [s.name for s in implemented],
        kafka_port=kafka_port,
        kafka_controller_port=kafka_controller_port,
        postgres_port=postgres_port,
        mail_port=mail_port,
        zipkin_port=zipkin_port,
    )
    stack.state.services = [s.name for s in implemented]
    stack.state.skipped = skipped
    # With the ports this run folder uses (another run folder's are not 8001-8005).
    services = stack.services()
    if skipped:
        err.print(f"[yellow]Not implemented yet, skipped:[/] {', '.join(skipped)}")
    try:
        with step("Kafka jars") as update:
            ensure_jars(paths, update)
        stack.state.traces = traces and zipkin_jar(paths)
        postgres = stack.postgres
        if postgres.available:
            stack.state.database = "postgres"
        else:
            stack.state.database = "sqlite"
            err.print(
                "[yellow]PostgreSQL server binaries not found (set COULISSE_PG_BIN): each "
                f"service uses an SQLite file under {paths.run}[/]"
            )
        stack.save()
        kafka = stack.kafka
        what = f"Kafka on {kafka.bootstrap_servers}"
        if postgres.available:
            what = f"PostgreSQL on 127.0.0.1:{stack.state.postgres_port}, {what}"
        with step(f"{what} (supervisord)") as update:
            stack.start_infrastructure(update)
        if postgres.available:
            postgres = stack.postgres
            if postgres.in_private_folder:
                err.print(
                    f"  the `postgres` user cannot enter this checkout: the cluster is in "
                    f"{postgres.area} (linked from {postgres.nominal})"
                )
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
                    asyncio.run(
                        load_billing(billing.base_url, token, report.customers, report.requests)
                    )
                collections = next((s for s in services if s.name == "collections"), None)
                if billing is not None and collections is not None:
                    with step(
                        "Collections demo data (runs, notices, fees, a dispute, a promise, a plan)"
                    ) as update:
                        loaded = asyncio.run(
                            load_collections(
                                collections.base_url,
                                token,
                                report.customers,
                                today=today(default_clock()),
                            )
                        )
                        update("loaded" if loaded else "already there")
    except NotReady as exc:
        raise fail(str(exc), exc.log_tail) from exc
    except (KafkaError, PostgresError, SupervisorError, RuntimeError) as exc:
        raise fail(str(exc)) from exc

    table = Table(title="Coulisse is up", title_justify="left")
    table.add_column("service")
    table.add_column("API docs")
    for service in services:
        table.add_row(service.name, f"{service.base_url}/docs")
    if stack.state.traces:
        table.add_row("traces (Zipkin)", zipkin.ui_url(stack.state.zipkin_port))
    out.print(table)
    if stack.state.traces and not zipkin.healthy(stack.state.zipkin_port):
        # Not waited for: the services drop their spans until it answers, then send them.
        out.print(
            "Zipkin is still starting (about 10 s): spans of the first requests may be missing"
        )
    out.print("Metrics: <service>/metrics (Prometheus text); `coulisse status` sums them up")
    out.print(
        f"Logs: {paths.logs}/<service>.log, <service>-relay.log, kafka.log, postgres.log, "
        "supervisord.log"
    )
    out.print(f"Kafka: {stack.kafka.bootstrap_servers}   database: {stack.state.database}")
    out.print(
        f"Mail: notices go to the SMTP sink on 127.0.0.1:{stack.state.mail_port}; "
        "`coulisse mails` lists them"
    )
    out.print(f"A local token with every scope (valid {UP_TOKEN_TTL // 3600} h):")
    out.print(token, soft_wrap=True, highlight=False)
    reporting = next((s for s in services if s.name == "reporting"), None)
    if reporting is not None:
        out.print(f"Operations dashboard (a reports:read token, valid {UP_TOKEN_TTL // 3600} h):")
        link = dashboard_url(paths.jwt_secret, reporting.base_url, ttl_seconds=UP_TOKEN_TTL)
        out.print(link, soft_wrap=True, highlight=False)
    out.print("Stop everything with `make down` (or `coulisse down`).")


@app.command()
def down(
    purge: Annotated[
        bool, typer.Option(help="Also delete the local data (Kafka, PostgreSQL, SQLite, logs).")
    ] = False,
) -> None:
    """Stop what `up` started, by the pids it recorded: supervisord, which stops the services,
    Kafka and PostgreSQL in that order; then, by their pid files, a broker or cluster still
    running without it (supervisord killed, or an older `up`)."""
    paths = layout()
    stack = Stack.load(paths)
    with err.status("stopping supervisord: the services, Kafka, PostgreSQL…"):
        stopped = stack.supervisor.stop()
    err.print(
        "[green]✓[/] supervisord and everything it ran "
        f"{'stopped' if stopped else 'was not running'}"
    )
    for name, stop in (("Kafka", stack.kafka.stop), ("PostgreSQL", stack.postgres.stop)):
        with err.status(f"stopping {name}…"):
            if stop():
                err.print(f"[green]✓[/] {name}, running without supervisord, stopped")
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
    for column in ("process", "pid", "alive", "restarts", "detail"):
        table.add_column(column)
    processes = stack.supervisor.processes()
    restarted = stack.supervisor.restarts()

    def row(name: str, pid: int | None, detail: str, program: str | None = None) -> None:
        alive = "[green]yes[/]" if pid else "[red]no[/]"
        table.add_row(name, str(pid or "-"), alive, restarts_text(restarted, program), detail)

    def supervised(program: str) -> str:
        return str(processes.get(program, {}).get("statename", "not supervised"))

    if stack.state.database == "postgres":
        postgres = stack.postgres
        row(
            "postgresql",
            postgres.pid(),
            f"{supervised(POSTGRES)}; 127.0.0.1:{stack.state.postgres_port}, {postgres.area}",
            POSTGRES,
        )
    else:
        table.add_row("postgresql", "-", "-", "-", "not used: SQLite files")
    row("kafka", stack.kafka.pid(), f"{supervised(KAFKA)}; {stack.kafka.bootstrap_servers}", KAFKA)
    row("supervisord", stack.supervisor.pid(), str(stack.supervisor.conf))

    async def readiness() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=5) as client:
            answers = await asyncio.gather(*(readyz(client, s) for s in stack.services()))
        return {s.name: a[0] for s, a in zip(stack.services(), answers, strict=True)}

    ready = asyncio.run(readiness())
    for service in stack.services():
        info = processes.get(service.name, {})
        pid = info.get("pid") or None
        state = info.get("statename", "not supervised")
        row(service.name, pid, f"{state}; /readyz: {ready[service.name]}", service.name)
        relay = processes.get(service.relay_program, {})
        row(
            service.relay_program,
            relay.get("pid") or None,
            f"{relay.get('statename', 'not supervised')}; its outbox relay",
            service.relay_program,
        )
    sink = processes.get(MAILSINK, {})
    row(
        MAILSINK,
        sink.get("pid") or None,
        f"{sink.get('statename', 'not supervised')}; SMTP 127.0.0.1:{stack.state.mail_port}",
        MAILSINK,
    )
    if stack.state.traces:
        viewer = processes.get(zipkin.PROGRAM, {})
        answering = "answering" if zipkin.healthy(stack.state.zipkin_port) else "not answering"
        row(
            zipkin.PROGRAM,
            viewer.get("pid") or None,
            f"{viewer.get('statename', 'not supervised')}; {answering}; "
            f"{zipkin.ui_url(stack.state.zipkin_port)}",
            zipkin.PROGRAM,
        )
    for name in stack.state.skipped:
        table.add_row(name, "-", "-", "-", "not implemented yet")
    out.print(table)
    out.print(signals_table(stack))


def restarts_text(restarted: dict[str, dict[str, Any]], program: str | None) -> str:
    """How often supervisord restarted `program` after it died, and the last time."""
    if program is None:
        return "-"
    found = restarted.get(program)
    if not found:
        return "0"
    text = f"{found.get('restarts', 0)}, last {str(found.get('last_exit', '?'))[11:19]} UTC"
    down = found.get("down_seconds")
    return f"{text} (back in {down:.1f} s)" if down is not None else f"[red]{text}, not back[/]"


def signals_table(stack: Stack) -> Table:
    """Each service's health signals (docs/operations.md, "Signals and what to do")."""

    async def read_all() -> list[signals.Signals]:
        async with httpx.AsyncClient(timeout=5) as client:
            return list(await asyncio.gather(*(signals.read(client, s) for s in stack.services())))

    table = Table(title="Signals (GET /metrics)", title_justify="left")
    for column in ("service", "outbox backlog", "consumer lag", "dead letters", "suspense", "503s"):
        table.add_column(column)
    for service, found in zip(stack.services(), asyncio.run(read_all()), strict=True):
        if found.error is not None:
            table.add_row(service.name, f"[red]{found.error}[/]", "", "", "", "")
            continue

        def flag(value: int | None, bad: bool) -> str:
            if value is None:
                return "-"
            return f"[red]{value}[/]" if bad else str(value)

        backlog = str(found.outbox_pending)
        if found.outbox_pending:
            backlog += f" (oldest {signals.age(found.outbox_oldest_seconds)})"
            if found.outbox_oldest_seconds >= 60:
                backlog = f"[red]{backlog}[/]"
        table.add_row(
            service.name,
            backlog,
            flag(found.lag, bool(found.lag and found.lag >= 1000)),
            flag(found.dead_letters, bool(found.dead_letters)),
            flag(found.suspense, bool(found.suspense)),
            flag(found.unavailable, found.unavailable > 0),
        )
    return table


def zipkin_jar(paths: Layout) -> bool:
    """Zipkin's jar, fetched on first use; without it (no Maven, offline) `up` runs without
    traces and says why."""
    try:
        with step("Zipkin jar (the trace viewer)") as update:
            zipkin.ensure_jar(paths, update)
        return True
    except zipkin.ZipkinError as exc:
        err.print(f"[yellow]No trace viewer: {escape(str(exc).splitlines()[0])}[/]")
        return False


@app.command()
def mails(
    show: Annotated[
        int | None, typer.Option("--show", help="Print mail N of the list (1 is the oldest).")
    ] = None,
    raw: Annotated[bool, typer.Option(help="With --show: the .eml file as received.")] = False,
) -> None:
    """The mails the local SMTP sink received (collections' notices): date, to, subject, file."""
    folder = layout().mail
    found = received_mails(folder)
    if show is not None:
        if not 1 <= show <= len(found):
            raise fail(f"no mail {show}: {len(found)} received in {folder}")
        path = found[show - 1].path
        if raw:
            typer.echo(path.read_bytes().decode("utf-8", errors="replace"), nl=False)
        else:
            out.print(readable(read_mail(path)), highlight=False, markup=False, end="")
        return
    if not found:
        err.print(f"no mail received yet in {folder}")
        return
    table = Table()
    for column in ("#", "date", "to", "subject", "file"):
        table.add_column(column)
    for number, mail in enumerate(found, start=1):
        row = (str(number), mail.date, mail.to, mail.subject, mail.path.name)
        table.add_row(*(escape(value) for value in row))
    out.print(table)


@app.command(name="dead-letters")
def dead_letters_command(
    group: Annotated[
        list[str] | None, typer.Argument(help="Consumer groups; default: every group.")
    ] = None,
    bootstrap: Annotated[
        str | None, typer.Option(help="Bootstrap servers; default: the broker `up` started.")
    ] = None,
) -> None:
    """The records waiting on the dead-letter topics: which event, why, and its trace."""
    stack = Stack.load(layout())
    if bootstrap is None:
        bootstrap = stack.kafka.bootstrap_servers
    groups = group or list(CONSUMER_GROUPS)

    async def read_all() -> list[dead_letters.DeadLetter]:
        found = await asyncio.gather(*(dead_letters.read(bootstrap, g) for g in groups))
        return [letter for letters in found for letter in letters]

    try:
        letters = asyncio.run(read_all())
    except Exception as exc:
        raise fail(f"cannot read the dead-letter topics on {bootstrap}: {exc}") from exc
    if not letters:
        err.print(f"no dead letter on {', '.join(dlq_topic(g) for g in groups)}")
        return
    table = Table()
    for column in ("topic", "failed at", "event", "read from", "attempts", "error", "trace"):
        table.add_column(column)
    for letter in letters:
        trace = "-"
        if letter.trace_id:
            trace = (
                f"{zipkin.base_url(stack.state.zipkin_port)}/zipkin/traces/{letter.trace_id}"
                if stack.state.traces
                else letter.trace_id
            )
        row = (
            f"{dlq_topic(letter.group)}@{letter.offset}",
            letter.failed_at,
            f"{letter.event_type} {letter.event_id}" if letter.event_id != "?" else "(unreadable)",
            letter.source,
            letter.attempts,
            letter.error,
            trace,
        )
        table.add_row(*(escape(value) for value in row))
    out.print(table)


@app.command()
def tools() -> None:
    """Install the programs the tests run (hledger, chromium) when missing. Never fails: says
    what to do."""
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
    issuer: Annotated[
        str | None, typer.Option(help="`iss`: what COULISSE_JWT_ISSUER expects, if set.")
    ] = None,
    audience: Annotated[
        str | None, typer.Option(help="`aud`: what COULISSE_JWT_AUDIENCE expects, if set.")
    ] = None,
) -> None:
    """Print a local HS256 bearer token, and nothing else, on stdout."""
    try:
        scopes = expand_scopes(scope)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    print(
        mint(
            layout().jwt_secret,
            scopes,
            subject=sub,
            ttl_seconds=ttl,
            issuer=issuer,
            audience=audience,
        )
    )


@app.command()
def bench(
    documents: Annotated[
        int, typer.Option(help="Invoices + payments of each drain's backlog.")
    ] = 2000,
    invoices: Annotated[int, typer.Option(help="Invoices of each HTTP repetition.")] = 1000,
    concurrency: Annotated[int, typer.Option(help="Concurrent HTTP clients.")] = 32,
    rate: Annotated[float, typer.Option(help="Invoices per second of the latency phase.")] = 200.0,
    seconds: Annotated[float, typer.Option(help="Length of each latency repetition.")] = 10.0,
    repeats: Annotated[int, typer.Option(min=3, help="Repetitions of each phase.")] = 3,
    profile: Annotated[
        bool, typer.Option("--profile/--no-profile", help="py-spy flame graphs (one more run).")
    ] = True,
    phases: Annotated[
        str,
        typer.Option(
            help="Phases to run, comma-separated: http, drain, latency, raw, reporting, fec."
        ),
    ] = "http,drain,latency,raw,reporting,fec",
    view_calls: Annotated[
        int, typer.Option(min=20, help="Calls of the 360° view timed in each repetition.")
    ] = 200,
    stream_rate: Annotated[
        float, typer.Option(help="Invoices per second while a reporting stream is open.")
    ] = 10.0,
    stream_seconds: Annotated[float, typer.Option(help="Length of each stream repetition.")] = 20.0,
) -> None:
    """Measure the running system (`make bench` starts one of its own); results as JSON in
    bench/results/. An impossible figure makes the run invalid: exit 1, never the latest result."""
    from coulisse.ops import bench as benchmark
    from coulisse.ops.bench import local

    paths = layout()
    stack = Stack.load(paths)
    if stack.state.database != "postgres":
        raise fail("the benchmark reads commit instants from PostgreSQL: not on SQLite")
    try:
        selected = benchmark.phases_of(phases)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    missing = local.missing_programs(stack, selected)
    if missing:
        raise fail(f"not running under supervisord: {', '.join(missing)}; run `coulisse up` first")
    with step("PostgreSQL commit timestamps (track_commit_timestamp)") as update:
        local.ensure_commit_timestamps(stack, update)
    config = benchmark.BenchConfig(
        documents=documents,
        invoices=invoices,
        concurrency=concurrency,
        latency_rate=rate,
        latency_seconds=seconds,
        repeats=repeats,
        profile=profile,
        batch_size=local.consumer_batch_size(stack),
        phases=selected,
        view_calls=view_calls,
        stream_rate=stream_rate,
        stream_seconds=stream_seconds,
        stream_poll_seconds=local.stream_poll_seconds(stack),
    )
    results = paths.root / "bench" / "results"
    stamp = default_clock().now().strftime("%Y%m%dT%H%M%SZ")
    with step(f"Benchmark ({', '.join(selected)})") as update:
        report = asyncio.run(benchmark.run(local.target(stack), config, results, stamp, update))
    report.stack.update(
        run_folder=str(paths.run),
        kafka=stack.kafka.bootstrap_servers,
        services={s.name: s.base_url for s in stack.services()},
        traces_exporter=local.traces_exporter(stack),
    )
    path = benchmark.write(report, results, stamp=stamp)
    out.print_json(
        data={"valid": report.valid, "invalid": report.invalid, "targets": report.targets}
    )
    err.print(f"Results: {path}")
    if not report.valid:
        raise fail("invalid run: " + "; ".join(report.invalid))


@app.command()
def chaos(
    documents: Annotated[
        int, typer.Option(help="Documents to get accepted (invoices, payments, credit notes).")
    ] = 10_000,
    rate: Annotated[float, typer.Option(help="Documents started per second.")] = 20.0,
    service_kills: Annotated[
        int, typer.Option(help="SIGKILLs of service processes, spread over the five.")
    ] = 55,
    infrastructure_faults: Annotated[
        int, typer.Option(help="Of each: broker paused, broker killed, PostgreSQL killed.")
    ] = 5,
    failpoint_faults: Annotated[int, typer.Option(help="Crashes at each failpoint.")] = 2,
    seed: Annotated[int, typer.Option(help="Draws the order and instants of the faults.")] = 1,
    settle_timeout: Annotated[
        float, typer.Option(help="Seconds the system may take to settle after the faults.")
    ] = 600.0,
) -> None:
    """Kill processes while documents flow, then check the books (start the system with
    `coulisse up --no-demo`); results as JSON in bench/results/."""
    from coulisse.ops import bench as benchmark
    from coulisse.ops import chaos as campaign

    paths = layout()
    stack = Stack.load(paths)
    if stack.state.database != "postgres":
        raise fail("the campaign kills PostgreSQL: it needs the stack on PostgreSQL, not SQLite")
    processes = stack.supervisor.processes()
    needed = [*campaign.SERVICES, *campaign.RELAYS, KAFKA, POSTGRES]
    missing = [n for n in needed if processes.get(n, {}).get("statename") != "RUNNING"]
    if missing:
        raise fail(
            f"not running under supervisord: {', '.join(missing)}; run `coulisse up --no-demo`"
        )
    config = campaign.ChaosConfig(
        documents=documents,
        rate=rate,
        service_kills=service_kills,
        infrastructure_faults=infrastructure_faults,
        failpoint_faults=failpoint_faults,
        seed=seed,
        settle_timeout=settle_timeout,
    )
    first = campaign.first_run_on(config)
    last = asyncio.run(campaign.last_run_on(stack))
    if last is not None and last >= first:
        raise fail(
            f"collections already ran dunning as of {last}: the campaign's interrupted runs are "
            f"dated from {first} on and cannot go back in time; run it on fresh data "
            "(`coulisse down --purge`, then `make chaos`)"
        )
    token = mint(paths.jwt_secret, ["all"], subject="chaos", ttl_seconds=24 * 3600)
    with step("Chaos campaign (documents, faults, settling, checks)") as update:
        report = asyncio.run(campaign.run(stack, config, token, update))
    path = benchmark.write(report, paths.root / "bench" / "results", "chaos")
    for table in campaign.tables(report):
        out.print(table)
    err.print(f"Results: {path}")
    if not report.passed:
        raise fail("the campaign failed: " + "; ".join(c.name for c in report.failures))
