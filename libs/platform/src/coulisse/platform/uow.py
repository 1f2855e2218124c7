"""Unit of work: one database transaction that also writes the outbox rows of the events it caused.

A service subclasses `UnitOfWork` to open its repositories in `_open_repositories`.
The transaction boundary belongs to whoever runs a handler (`commands.run`, the inbox consumer),
so an idempotency key or an inbox row always joins the transaction of the effect.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.contracts.base import EventPayload
from coulisse.platform.clock import Clock, SystemClock
from coulisse.platform.context import current_causation
from coulisse.platform.domain import Aggregate
from coulisse.platform.envelope import OutgoingEvent, build_envelope
from coulisse.platform.tables import outbox_table

_propagator = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def outbox_channel(service: str) -> str:
    return f"outbox_{service.replace('-', '_')}"


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: str,
        clock: Clock | None = None,
    ) -> None:
        self._sessions = sessions
        self.service = service
        # Handlers ask this clock for "now" and "today": tests move it, production never does.
        self.clock: Clock = clock or SystemClock()
        self._session: AsyncSession | None = None
        self._seen: list[Aggregate] = []
        self._loose_events: list[EventPayload] = []
        self.published: list[OutgoingEvent] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._seen = []
        self._loose_events = []
        self.published = []
        self._open_repositories(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            await self._session.rollback()  # no-op after a commit
        finally:
            await self._session.close()
            self._session = None

    def _open_repositories(self, session: AsyncSession) -> None:
        """Services override this to create their repositories on the session."""

    def track(self, aggregate: Aggregate) -> None:
        if all(seen is not aggregate for seen in self._seen):
            self._seen.append(aggregate)

    def emit(self, event: EventPayload) -> None:
        """An event that belongs to no loaded aggregate (e.g. a reaction to a consumed event)."""
        self._loose_events.append(event)

    def collect_new_events(self) -> list[EventPayload]:
        events: list[EventPayload] = []
        for aggregate in self._seen:
            events.extend(aggregate.pull_events())
        events.extend(self._loose_events)
        self._loose_events = []
        return events

    async def commit(self) -> None:
        events = self.collect_new_events()
        if events:
            await self._write_outbox(events)
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def _write_outbox(self, events: list[EventPayload]) -> None:
        causation = current_causation(default_actor=f"system:{self.service}")
        traceparent = current_traceparent()
        correlation_id = causation.correlation_id
        rows: list[dict[str, Any]] = []
        now = self.clock.now()
        for payload in events:
            outgoing = build_envelope(
                payload,
                service=self.service,
                actor=causation.actor,
                correlation_id=correlation_id,
                traceparent=traceparent,
                time=now,
            )
            # Later events of the same command belong to the flow the first one started.
            correlation_id = correlation_id or str(outgoing.event_id)
            self.published.append(outgoing)
            rows.append(
                {
                    "event_id": outgoing.event_id,
                    "topic": outgoing.topic,
                    "key": outgoing.key,
                    "event_type": outgoing.event_type,
                    "value": outgoing.value,
                    "traceparent": outgoing.traceparent,
                    "created_at": now,
                }
            )
        await self.session.execute(sa.insert(outbox_table), rows)
        if self.session.bind.dialect.name == "postgresql":
            # Delivered at commit: wakes the relay at once instead of at its next poll.
            await self.session.execute(
                sa.text("SELECT pg_notify(:channel, '')"), {"channel": outbox_channel(self.service)}
            )
        span = trace.get_current_span()
        span.set_attribute("coulisse.events", len(rows))
