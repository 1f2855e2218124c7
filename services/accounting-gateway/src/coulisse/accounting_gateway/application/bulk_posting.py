"""Posting many events at once, outside the consumer: the same rules and books as a consumed
event, in large transactions. It makes books (for a load test, a migration) and measures
nothing; no inbox row is written, so an event posted this way and later consumed is skipped by
the books' check on its source event id, not by the inbox."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..adapters.uow import GatewayUnitOfWork
from .reactions import SourceEvent, post_event


@dataclass
class Posted:
    events: int = 0
    """Events read, posted or not (no rule to post, suspended, already in the books)."""
    entries: int = 0
    transactions: int = 0


async def post_in_transactions(
    sources: Iterable[SourceEvent],
    uow_factory: Callable[[], GatewayUnitOfWork],
    *,
    per_commit: int,
    progress: Callable[[Posted], None] = lambda _: None,
) -> Posted:
    """Posts every event with `post_event`, `per_commit` events to a transaction."""
    if per_commit < 1:
        raise ValueError(f"per_commit must be at least 1, not {per_commit}")
    posted = Posted()
    batch: list[SourceEvent] = []
    for source in sources:
        batch.append(source)
        if len(batch) >= per_commit:
            await _post_batch(batch, uow_factory, posted)
            progress(posted)
            batch = []
    if batch:
        await _post_batch(batch, uow_factory, posted)
        progress(posted)
    return posted


async def _post_batch(
    batch: list[SourceEvent], uow_factory: Callable[[], GatewayUnitOfWork], posted: Posted
) -> None:
    async with uow_factory() as uow:
        for source in batch:
            await post_event(source, uow)
        # Flushed here rather than by the commit, for the entries really written: an event
        # whose entry the books already hold is skipped.
        written = await uow.books.flush()
        await uow.commit()
    posted.events += len(batch)
    posted.entries += len(written)
    posted.transactions += 1
