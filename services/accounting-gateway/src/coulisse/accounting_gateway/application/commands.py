"""Commands: what an accountant asks the gateway to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ..domain.journal_entry import EntryLine


@dataclass(frozen=True)
class PostManualEntry:
    journal_code: str
    entry_date: date | None
    """None: today."""
    label: str
    lines: tuple[EntryLine, ...]
    piece_ref: str | None = None


@dataclass(frozen=True)
class ReverseEntry:
    entry_id: UUID
    entry_date: date | None
    """None: today."""
    label: str | None = None


@dataclass(frozen=True)
class ClosePeriod:
    period: str


@dataclass(frozen=True)
class RetrySuspended:
    source_event_id: UUID
