"""Rebuilding the read model: a consumer group of its own reads every topic from the beginning
into shadow tables, which then replace the live ones in one transaction.

The live consumer keeps applying new events meanwhile and the routes keep answering from the
live tables. Every projection is keyed by event id, so an event read by both the rebuild and
the live consumer counts once. Run by the `workers` role for `POST /v1/admin/rebuild`, or at
once by `python -m coulisse.reporting rebuild`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import typer
from faststream.kafka import KafkaBroker

from coulisse.platform.clock import SystemClock
from coulisse.platform.db import retry_conflicts
from coulisse.platform.envelope import error_text
from coulisse.platform.inbox import DeadLetter, InboxConsumer
from coulisse.platform.service import Runtime, Worker, load_settings, start_runtime, stop_runtime
from coulisse.platform.telemetry import setup_logging

from ..adapters import rebuild as shadow
from ..adapters.tables import SHADOW
from ..adapters.uow import ReportingUnitOfWork
from ..application import handlers
from ..application.commands import RequestRebuild
from ..config import ReportingSettings
from . import consumers

log = logging.getLogger("coulisse.reporting.rebuild")

ReportingRuntime = Runtime[ReportingSettings, ReportingUnitOfWork]


class RebuildConsumer(InboxConsumer):
    """An inbox consumer under its own group whose dead letters go to the service's
    dead-letter topic (a rebuild's group has none of its own)."""

    def __init__(self, *, dead_letter_group: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dead_letter_group = dead_letter_group

    async def _dead_letter(self, letter: DeadLetter) -> None:
        group, self.name = self.name, self.dead_letter_group
        try:
            await super()._dead_letter(letter)
        finally:
            self.name = group


async def _wait(
    consumer: InboxConsumer, ends: shadow.Offsets, deadline: float, *, what: str
) -> None:
    while not shadow.caught_up(consumer.positions, ends):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the rebuild did not read {what} in time")
        await asyncio.sleep(0.1)


def rebuild_group(settings: ReportingSettings, rebuild_id: UUID) -> str:
    """The consumer group (and inbox name) of one rebuild."""
    return f"{settings.inbox_consumer}.rebuild.{rebuild_id.hex[:12]}"


async def run_rebuild(runtime: ReportingRuntime, rebuild_id: UUID) -> int:
    """Rebuilds and swaps in the read model; returns how many events it holds."""
    settings = runtime.settings
    deadline = time.monotonic() + settings.rebuild_timeout_seconds
    async with shadow.exclusive(runtime.engine):
        return await _rebuild(runtime, rebuild_id, deadline)


async def _rebuild(runtime: ReportingRuntime, rebuild_id: UUID, deadline: float) -> int:
    settings = runtime.settings
    group = rebuild_group(settings, rebuild_id)
    await shadow.prepare_shadow(runtime.engine)
    consumer = RebuildConsumer(
        dead_letter_group=runtime.definition.name,
        name=group,
        service=runtime.definition.name,
        topics=consumers.TOPICS,
        uow_factory=lambda: ReportingUnitOfWork(
            runtime.sessions, service=settings.service_name, clock=runtime.clock, model=SHADOW
        ),
        handlers=consumers.handlers(runtime.customer_events()),
        default_handler=consumers.record,
        max_attempts=settings.consumer_max_attempts,
    )
    broker = KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=f"coulisse-{runtime.definition.name}-rebuild",
        enable_idempotence=True,
        logger=None,
    )
    consumer.subscribe(broker, clock=runtime.clock, batch_size=settings.consumer_batch_size)
    await broker.start()
    swapped = False
    try:
        ends = await shadow.end_offsets(settings.kafka_bootstrap_servers, consumers.TOPICS)
        await _wait(consumer, ends, deadline, what="the topics")

        async def tail() -> None:
            # The live tables are locked: what is published now is all the rebuild must read.
            latest = await shadow.end_offsets(settings.kafka_bootstrap_servers, consumers.TOPICS)
            await _wait(consumer, latest, deadline, what="the latest events")

        async for attempt in retry_conflicts():
            with attempt:
                count = await shadow.swap(runtime.engine, tail)
        swapped = True
        return count
    finally:
        await broker.stop()
        # Its inbox rows are of no more use: a next rebuild reads under another group.
        await shadow.forget_consumer(runtime.engine, group)
        if not swapped:
            await shadow.drop_shadow(runtime.engine)


async def perform(runtime: ReportingRuntime, rebuild_id: UUID) -> None:
    """Runs a claimed rebuild and records how it ended."""
    async with runtime.uow_factory() as uow:
        await uow.rebuilds.update(
            rebuild_id,
            state="running",
            started_at=uow.clock.now(),
            consumer_group=rebuild_group(runtime.settings, rebuild_id),
        )
        await uow.commit()
    try:
        count = await run_rebuild(runtime, rebuild_id)
    except Exception as exc:
        log.exception("rebuild %s failed", rebuild_id)
        async with runtime.uow_factory() as uow:
            await uow.rebuilds.update(
                rebuild_id,
                state="failed",
                finished_at=uow.clock.now(),
                error=error_text(exc)[:2000],
            )
            await uow.commit()
        raise
    async with runtime.uow_factory() as uow:
        await uow.rebuilds.update(
            rebuild_id, state="done", finished_at=uow.clock.now(), events=count
        )
        await uow.commit()
    log.info("rebuild %s done: %d events", rebuild_id, count)


@dataclass
class Rebuilder:
    """Takes requested rebuilds one at a time (the `workers` role)."""

    runtime: ReportingRuntime
    name: str = "reporting-rebuilder"

    async def run_once(self) -> bool:
        async with self.runtime.uow_factory() as uow:
            now = uow.clock.now()
            stale = timedelta(seconds=self.runtime.settings.rebuild_stale_after_seconds)
            await uow.rebuilds.abandon_stale(now - stale, now)
            claimed = await uow.rebuilds.claim()
            if claimed is None:
                return False
            await uow.rebuilds.update(claimed.id, state="running", started_at=uow.clock.now())
            await uow.commit()
        # A failure is recorded on the request; the next request starts afresh.
        with contextlib.suppress(Exception):
            await perform(self.runtime, claimed.id)
        return True

    async def run(self) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except Exception as exc:  # the database is down: look again later
                log.warning("rebuilder: %s", error_text(exc))
            await asyncio.sleep(self.runtime.settings.rebuild_poll_seconds)


def workers(runtime: ReportingRuntime) -> list[Worker]:
    return [Rebuilder(runtime)]


def rebuild() -> None:
    """Rebuild the read model from the beginning of every topic, then swap it in."""
    from ..bootstrap import definition

    settings = load_settings(definition)
    setup_logging(definition.name, settings.log_level)
    settings.roles = "api"  # this process only rebuilds: no relay, consumers nor workers

    async def main() -> int:
        runtime = await start_runtime(definition, settings, SystemClock())
        try:
            command = RequestRebuild("cli", settings.rebuild_stale_after_seconds, start_now=True)
            rebuild_id = (await runtime.commands.run(handlers.request_rebuild, command)).id
            await perform(runtime, rebuild_id)
            async with runtime.uow_factory() as uow:
                found = await uow.rebuilds.get(rebuild_id)
            return int(found.events or 0)
        finally:
            await stop_runtime(runtime)

    count = asyncio.run(main())
    typer.echo(f"reporting: read model rebuilt ({count} events)")
