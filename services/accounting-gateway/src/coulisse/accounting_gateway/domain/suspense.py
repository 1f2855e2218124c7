"""Suspense: events the rules could not turn into an entry, kept whole until they can be posted.

An event lands here when no rule maps its type, when its rule gives an unbalanced entry or an
unknown account or journal, or when its record could not even be read (dead letter). It never
blocks the partition. Once the rules are fixed, a retry re-runs them on the stored envelope and
posts it, once: the entry's source event id is unique.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from coulisse.contracts.accounting import EventSuspended
from coulisse.platform.domain import Aggregate

SuspenseStatus = Literal["open", "resolved"]
MAX_ERROR_LENGTH = 2000


@dataclass
class SuspendedEvent(Aggregate):
    source_event_id: UUID
    source_event_type: str
    reason: str
    error: str
    suspended_at: datetime
    envelope: dict[str, Any] | None = None
    raw: bytes | None = None
    origin: str | None = None
    status: SuspenseStatus = "open"
    attempts: int = 1
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    entry_id: UUID | None = None

    @classmethod
    def suspend(
        cls,
        *,
        source_event_id: UUID,
        source_event_type: str,
        reason: str,
        error: str,
        now: datetime,
        envelope: dict[str, Any] | None = None,
        raw: bytes | None = None,
        origin: str | None = None,
    ) -> SuspendedEvent:
        item = cls(
            source_event_id=source_event_id,
            source_event_type=source_event_type,
            reason=reason,
            error=error[:MAX_ERROR_LENGTH],
            suspended_at=now,
            envelope=envelope,
            raw=raw,
            origin=origin,
        )
        item.record(
            EventSuspended(
                source_event_id=source_event_id,
                source_event_type=source_event_type,
                error=item.error,
            )
        )
        return item

    def resolve(self, *, entry_id: UUID | None, now: datetime, actor: str) -> None:
        self.status = "resolved"
        self.entry_id = entry_id
        self.resolved_at = now
        self.resolved_by = actor
