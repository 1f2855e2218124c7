"""Live streams of the read model's events, as Server-Sent Events.

Each event's `id` is its position in the read model's sequence. A client reconnecting with
`Last-Event-ID` first gets what it missed, then live events: the stream reads positions after
the last one it sent, so nothing is missed and nothing is sent twice. An open stream polls the
read model (one indexed query per `COULISSE_STREAM_POLL_SECONDS`) and keeps nothing in memory
between polls; a comment line every `COULISSE_STREAM_HEARTBEAT_SECONDS` keeps proxies from
closing it; the server's shutdown ends it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from coulisse.platform.openapi import problems

from ..adapters.uow import ReportingUnitOfWork
from ..application import queries
from ..config import ReportingSettings
from ..domain.streams import event_types, last_event_id
from .deps import ReadScope, SettingsDep, UowFactoryDep
from .schemas import TimelineEntryRead

router = APIRouter(prefix="/v1", tags=["streams"])

BATCH = 200
STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A stream of Server-Sent Events: `id` (the position), `event` (the "
        "event type), `data` (a timeline entry as JSON); comment lines as heartbeats.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=100,
        description="The `id` of the last event received: the stream resumes after it (a "
        "value this service did not hand out starts the stream at the current position).",
    ),
]


async def _events(
    uow_factory: Callable[[], ReportingUnitOfWork],
    settings: ReportingSettings,
    position: int,
    *,
    customer_id: UUID | None,
    types: frozenset[str],
) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="stream open", retry=settings.stream_retry_ms)
    while True:
        async with uow_factory() as uow:
            entries = await queries.entries_after(
                uow, position, customer_id=customer_id, types=types, limit=BATCH
            )
        for entry in entries:
            yield ServerSentEvent(
                data=TimelineEntryRead.of(entry).model_dump_json(),
                event=entry.event_type,
                id=str(entry.seq),
            )
            position = entry.seq
        if len(entries) < BATCH:
            await asyncio.sleep(settings.stream_poll_seconds)


async def _start(
    uow_factory: Callable[[], ReportingUnitOfWork],
    settings: ReportingSettings,
    resume_after: str | None,
    *,
    customer_id: UUID | None,
    types: frozenset[str],
) -> EventSourceResponse:
    async with uow_factory() as uow:
        if customer_id is not None:
            await queries.known_customer(uow, customer_id)
        position = last_event_id(resume_after)
        if position is None:
            position = await queries.last_position(uow)  # only what happens from now on
    # The database answered above: an outage is a 503 here, not a stream cut at once.
    return EventSourceResponse(
        _events(uow_factory, settings, position, customer_id=customer_id, types=types),
        ping=settings.stream_heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/customers/{customer_id}/events/stream",
    response_class=EventSourceResponse,
    summary="A customer's events as they are read, as Server-Sent Events",
    responses={
        **STREAM_RESPONSE,
        **problems((404, "reporting has read no event about this customer")),
    },
)
async def stream_customer_events(
    customer_id: UUID,
    _: ReadScope,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    last_event: LastEventId = None,
) -> EventSourceResponse:
    return await _start(
        uow_factory, settings, last_event, customer_id=customer_id, types=frozenset()
    )


@router.get(
    "/events/stream",
    response_class=EventSourceResponse,
    summary="Every event of the system as it is read, as Server-Sent Events",
    responses=STREAM_RESPONSE,
)
async def stream_events(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    settings: SettingsDep,
    last_event: LastEventId = None,
    types: Annotated[
        str | None,
        Query(
            max_length=2000,
            description="Event types to keep, comma-separated (all when absent).",
            examples=["billing.invoice.issued.v1,billing.payment.received.v1"],
        ),
    ] = None,
) -> EventSourceResponse:
    return await _start(
        uow_factory, settings, last_event, customer_id=None, types=event_types(types)
    )
