"""Unit of work: one database transaction that also writes the outbox rows of the events it caused.

A service subclasses `UnitOfWork` to open its repositories in `_open_repositories`.
The transaction boundary belongs to whoever runs a handler (`commands.run`, the inbox consumer),
so an idempotency key or an inbox row always joins the transaction of the effect.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from coulisse.platform.sql import dialect_name
from coulisse.platform.tables import outbox_table

_propagator = TraceContextTextMapPropagator()


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@dataclass(frozen=True)
class EventOrigin:
    """Who caused an event, in which flow and which trace: taken while the work that caused it
    runs, not at commit, so every event of a consumed batch keeps its own."""

    actor: str
    correlation_id: str | None
    traceparent: str | None


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
        self._loose_events: list[tuple[EventPayload, EventOrigin | None]] = []
        self._captured: list[tuple[EventPayload, EventOrigin]] = []
        self._outbox_written = False
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
        self._captured = []
        self._outbox_written = False
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

    def emit(self, event: EventPayload, origin: EventOrigin | None = None) -> None:
        """An event that belongs to no loaded aggregate (e.g. a reaction to a consumed event);
        `origin` when it was caused earlier than now."""
        self._loose_events.append((event, origin))

    def origin(self) -> EventOrigin:
        """The actor, correlation and trace of the work running now."""
        causation = current_causation(default_actor=f"system:{self.service}")
        return EventOrigin(causation.actor, causation.correlation_id, current_traceparent())

    def capture_events(self) -> None:
        """Stamps the events recorded so far with the origin in force now. The inbox consumer
        calls it after each event it applies; a commit calls it for whatever is left."""
        origin = self.origin()
        for aggregate in self._seen:
            self._captured.extend((event, origin) for event in aggregate.pull_events())
        self._captured.extend((event, stamped or origin) for event, stamped in self._loose_events)
        self._loose_events = []

    def discard_unwritten(self) -> None:
        """Forgets the events not yet in the outbox: their command was rolled back to a savepoint
        (group commit), and none of its effects will be committed."""
        for aggregate in self._seen:
            aggregate.pull_events()
        self._seen = []
        self._loose_events = []
        self._captured = []

    async def write_events(self) -> None:
        """Writes the outbox rows of the events recorded so far, now rather than at commit: a
        command of a group commit writes its own, in its savepoint and its request's trace."""
        self.capture_events()
        captured, self._captured = self._captured, []
        if captured:
            await self._write_outbox(captured)

    async def commit(self) -> None:
        await self.write_events()
        if self._outbox_written and dialect_name(self.session) == "postgresql":
            # Delivered at commit, once per transaction however many commands wrote rows (a
            # group commit's): wakes the relay at once instead of at its next poll.
            await self.session.execute(
                sa.text("SELECT pg_notify(:channel, '')"), {"channel": outbox_channel(self.service)}
            )
        await self.session.commit()
        self._outbox_written = False

    async def rollback(self) -> None:
        await self.session.rollback()

    async def _write_outbox(self, events: list[tuple[EventPayload, EventOrigin]]) -> None:
        # Later events of the same piece of work belong to the flow its first event started.
        flows: dict[EventOrigin, str] = {}
        rows: list[dict[str, Any]] = []
        now = self.clock.now()
        for payload, origin in events:
            outgoing = build_envelope(
                payload,
                service=self.service,
                actor=origin.actor,
                correlation_id=origin.correlation_id or flows.get(origin),
                traceparent=origin.traceparent,
                time=now,
            )
            flows.setdefault(origin, origin.correlation_id or str(outgoing.event_id))
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
        self._outbox_written = True
        span = trace.get_current_span()
        span.set_attribute("coulisse.events", len(rows))
