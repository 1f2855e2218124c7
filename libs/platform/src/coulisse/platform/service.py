"""One service process: HTTP API, outbox relay and inbox consumers, wired the same way everywhere.

`python -m coulisse.<service>` serves; `... migrate` applies the service's Alembic migrations.
`COULISSE_ROLES` (api, relay, consumers, workers) chooses what this process runs, so each part
can be deployed and scaled on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import typer
import uvicorn
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from faststream.kafka import KafkaBroker
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client.core import Metric
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from coulisse.platform import db
from coulisse.platform.auth import TokenVerifier
from coulisse.platform.clock import Clock, SystemClock
from coulisse.platform.commands import CommandRunner
from coulisse.platform.errors import install_problem_handlers, problem
from coulisse.platform.health import router as health_router
from coulisse.platform.inbox import DeadLetter, EventHandler, InboxConsumer
from coulisse.platform.kafka import idempotent_producer
from coulisse.platform.metrics import HttpMetricsMiddleware, ServiceMetrics
from coulisse.platform.metrics import router as metrics_router
from coulisse.platform.migrations import upgrade
from coulisse.platform.openapi import install_openapi
from coulisse.platform.personal_data import CustomerEvents
from coulisse.platform.relay import OutboxRelay
from coulisse.platform.service_token import customer_events
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.telemetry import (
    current_trace_id,
    redact_request_span,
    setup_logging,
    setup_tracing,
)
from coulisse.platform.uow import UnitOfWork

log = logging.getLogger("coulisse.service")

S = TypeVar("S", bound=ServiceSettings)
U = TypeVar("U", bound=UnitOfWork)


@dataclass(frozen=True)
class Wiring(Generic[S]):
    """What a service's unit-of-work factory is built from."""

    sessions: async_sessionmaker[AsyncSession]
    settings: S
    clock: Clock


class Worker(Protocol):
    """A service's own background loop (a scheduler, a mail sender): runs until cancelled."""

    name: str

    async def run(self) -> None: ...


@dataclass
class ServiceDefinition(Generic[S, U]):
    """What a service contributes; everything else is the platform's.

    Generic over the service's settings and unit of work, so its routes and consumers are
    type-checked against the real classes, never narrowed with `isinstance` at run time.
    """

    name: str
    title: str
    description: str
    settings_type: type[S]
    routers: Sequence[APIRouter]
    unit_of_work: Callable[[Wiring[S]], Callable[[], U]]
    alembic_ini: Path
    consumers: Callable[[Runtime[S, U]], Sequence[InboxConsumer]] | None = None
    workers: Callable[[Runtime[S, U]], Sequence[Worker]] | None = None
    """Started with the `workers` role; a service leaves one out by not building it (off)."""
    version: str = "0.1.0"
    openapi_tags: list[dict[str, Any]] = field(default_factory=list)
    commands: Sequence[Callable[..., None]] = ()
    """More commands of `python -m coulisse.<service>`, next to `serve` and `migrate`."""
    metrics: Callable[[Runtime[S, U]], Awaitable[Sequence[Metric]]] | None = None
    """The service's own Prometheus families, read at each scrape of `/metrics`."""


@dataclass
class Runtime(Generic[S, U]):
    """The wired objects of a running service, shared by its routes and consumers."""

    definition: ServiceDefinition[S, U]
    settings: S
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    uow_factory: Callable[[], U]
    commands: CommandRunner[U]
    broker: KafkaBroker
    relay: OutboxRelay | None = None
    relay_task: asyncio.Task[None] | None = None
    relay_producer: Any = None
    consumers: list[InboxConsumer] = field(default_factory=list)
    worker_tasks: list[asyncio.Task[None]] = field(default_factory=list)
    customer_data: CustomerEvents | None = None
    """Set by a test before the consumers are built; else made from the settings on first use."""

    def customer_events(self) -> CustomerEvents:
        """The reader of customer events, which opens their sealed personal fields."""
        if self.customer_data is None:
            self.customer_data = customer_events(self.settings, self.clock)
        return self.customer_data

    def inbox_consumer(
        self,
        *,
        topics: Sequence[str],
        handlers: Mapping[str, EventHandler],
        default_handler: EventHandler | None = None,
        on_dead_letter: Callable[[DeadLetter], Awaitable[None]] | None = None,
    ) -> InboxConsumer:
        """The service's consumer of `topics`: its group and inbox name come from the settings."""
        return InboxConsumer(
            name=self.settings.inbox_consumer,
            service=self.definition.name,
            topics=topics,
            uow_factory=self.uow_factory,
            handlers=handlers,
            default_handler=default_handler,
            on_dead_letter=on_dead_letter,
            max_attempts=self.settings.consumer_max_attempts,
        )


def load_settings(definition: ServiceDefinition[S, U]) -> S:
    settings = definition.settings_type()
    settings.service_name = definition.name
    return settings


def create_app(
    definition: ServiceDefinition[S, U],
    settings: S | None = None,
    *,
    clock: Clock | None = None,
) -> FastAPI:
    """The service's ASGI app; `clock` is the system clock unless a test hands its own."""
    service_settings = settings or load_settings(definition)
    service_clock = clock or SystemClock()
    setup_tracing(definition.name, service_settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(definition, service_settings, service_clock)
        runtime.commands.on_group_commit = app.state.metrics.observe_group_commit
        app.state.runtime = runtime
        app.state.readiness_checks = readiness_checks(runtime)
        try:
            yield
        finally:
            await stop_runtime(runtime)

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        openapi_tags=definition.openapi_tags or None,
    )
    app.state.settings = service_settings
    app.state.clock = service_clock
    app.state.token_verifier = TokenVerifier(service_settings, service_clock)
    install_problem_handlers(app)
    install_middlewares(app, service_settings)
    app.state.metrics = ServiceMetrics(definition.name)
    app.add_middleware(HttpMetricsMiddleware, metrics=app.state.metrics)
    app.include_router(health_router)
    app.include_router(metrics_router)
    for router in definition.routers:
        app.include_router(router)
    install_openapi(app)
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls="healthz,readyz,metrics",
        server_request_hook=redact_request_span,
        # One span per request: the ASGI receive/send events would double a trace's length.
        exclude_spans=["receive", "send"],
    )
    return app


def install_middlewares(app: FastAPI, settings: ServiceSettings) -> None:
    if settings.allowed_origins:
        # Browser front ends on other origins: only those configured, with the bearer header.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Correlation-Id",
                "traceparent",
            ],
            expose_headers=[
                "X-Trace-Id",
                "traceresponse",
                "Idempotent-Replayed",
                "Retry-After",
                "Location",
            ],
            max_age=600,
        )

    @app.middleware("http")
    async def limits_and_trace(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return problem(
                413, "Payload too large", f"the body exceeds {settings.max_body_bytes} bytes"
            )
        response = await call_next(request)
        trace_id = current_trace_id()
        if trace_id:
            response.headers["X-Trace-Id"] = trace_id
        return response


async def start_runtime(
    definition: ServiceDefinition[S, U], settings: S, clock: Clock
) -> Runtime[S, U]:
    engine = db.create_engine(settings.effective_database_url)
    # The instrumentation declares SQLAlchemy < 2.1 as the range it was released against; its
    # engine events are the same in 2.1, and tests/e2e/test_observability.py checks the spans.
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, skip_dep_check=True)
    sessions = db.session_factory(engine)
    uow_factory = definition.unit_of_work(Wiring(sessions, settings, clock))
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"coulisse-{definition.name}",
        enable_idempotence=True,
        logger=None,
    )
    runtime = Runtime(
        definition=definition,
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=sessions,
        uow_factory=uow_factory,
        commands=CommandRunner(uow_factory, grouped=engine.dialect.name == "postgresql"),
        broker=broker,
    )
    if settings.has_role("consumers") and definition.consumers is not None:
        runtime.consumers = list(definition.consumers(runtime))
        for consumer in runtime.consumers:
            consumer.subscribe(broker, clock=clock, batch_size=settings.consumer_batch_size)
    if runtime.consumers:
        await broker.start()
    if settings.has_role("relay"):
        producer = idempotent_producer(
            settings.kafka_bootstrap_servers, client_id=f"coulisse-{definition.name}-relay"
        )
        await producer.start()
        runtime.relay = OutboxRelay(
            engine,
            producer,
            service=definition.name,
            batch_size=settings.relay_batch_size,
            clock=clock,
        )
        runtime.relay_producer = producer
        runtime.relay_task = asyncio.create_task(runtime.relay.run(), name="outbox-relay")
    if settings.has_role("workers") and definition.workers is not None:
        runtime.worker_tasks = [
            asyncio.create_task(worker.run(), name=worker.name)
            for worker in definition.workers(runtime)
        ]
    return runtime


async def stop_runtime(runtime: Runtime[Any, Any]) -> None:
    for task in runtime.worker_tasks:
        task.cancel()
    for task in runtime.worker_tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if runtime.relay_task is not None:
        runtime.relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runtime.relay_task
        await runtime.relay_producer.stop()
    if runtime.consumers:
        await runtime.broker.stop()
    if runtime.customer_data is not None:
        await runtime.customer_data.aclose()
    await runtime.engine.dispose()


def readiness_checks(runtime: Runtime[Any, Any]) -> dict[str, Callable[[], Awaitable[None]]]:
    async def database() -> None:
        await db.ping(runtime.engine)

    async def kafka() -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=runtime.settings.kafka_bootstrap_servers, request_timeout_ms=2500
        )
        await admin.start()
        try:
            await admin.describe_cluster()
        finally:
            await admin.close()

    return {"database": database, "kafka": kafka}


async def _run_workers(definition: ServiceDefinition[S, U], settings: S) -> None:
    """A process without the HTTP role: relay and/or consumers until SIGTERM."""
    runtime = await start_runtime(definition, settings, SystemClock())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await stop_runtime(runtime)


def main(definition: ServiceDefinition[Any, Any]) -> None:
    """Entry point of `python -m coulisse.<service>`."""
    cli = typer.Typer(add_completion=False, help=f"The {definition.name} service of Coulisse.")

    @cli.command()
    def serve() -> None:
        """Serve the HTTP API, the outbox relay and the consumers (see COULISSE_ROLES)."""
        settings = load_settings(definition)
        setup_logging(definition.name, settings.log_level)
        if not settings.has_role("api"):
            setup_tracing(definition.name, settings)
            asyncio.run(_run_workers(definition, settings))
            return
        app = create_app(definition, settings)
        uvicorn.run(
            app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
        )

    @cli.command()
    def migrate() -> None:
        """Apply the service's database migrations (Alembic upgrade head)."""
        settings = load_settings(definition)
        upgrade(definition.alembic_ini, settings.effective_database_url)
        typer.echo(f"{definition.name}: database migrated")

    for command in definition.commands:
        cli.command()(command)

    @cli.callback(invoke_without_command=True)
    def default(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            serve()

    cli()
