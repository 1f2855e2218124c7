"""Rows of the gateway's tables, to and from its domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from coulisse.platform.repository import aware

from ..domain.journal_entry import EntryLine, JournalEntry
from ..domain.periods import Period
from ..domain.suspense import SuspendedEvent


def entry_from_row(head: Any, lines: Sequence[Any], keys: dict[UUID, list[str]]) -> JournalEntry:
    return JournalEntry(
        id=head["id"],
        journal_code=head["journal_code"],
        entry_date=head["entry_date"],
        piece_ref=head["piece_ref"],
        piece_date=head["piece_date"],
        label=head["label"],
        lines=tuple(
            EntryLine(
                id=row["id"],
                account=row["account"],
                account_label=row["account_label"],
                auxiliary_account=row["auxiliary_account"],
                label=row["label"],
                debit=row["debit"],
                credit=row["credit"],
                matches=tuple(sorted(keys.get(row["id"], []))),
            )
            for row in lines
        ),
        manual=head["manual"],
        actor=head["actor"],
        trace_id=head["trace_id"],
        source_event_id=head["source_event_id"],
        source_event_type=head["source_event_type"],
        reverses_id=head["reverses_id"],
        rules_version=head["rules_version"],
        entry_number=head["entry_number"],
        posted_at=aware(head["posted_at"]),
    )


def period_from_row(row: Any) -> Period:
    return Period(
        period=row["period"],
        status=row["status"],
        closed_at=aware(row["closed_at"]),
        closed_by=row["closed_by"],
        entry_count=row["entry_count"],
    )


def suspended_values(item: SuspendedEvent) -> dict[str, Any]:
    return {
        "source_event_id": item.source_event_id,
        "source_event_type": item.source_event_type,
        "reason": item.reason,
        "error": item.error,
        "envelope": item.envelope,
        "raw": item.raw,
        "origin": item.origin,
        "status": item.status,
        "attempts": item.attempts,
        "suspended_at": item.suspended_at,
        "resolved_at": item.resolved_at,
        "resolved_by": item.resolved_by,
        "entry_id": item.entry_id,
    }


def suspended_from_row(row: Any) -> SuspendedEvent:
    return SuspendedEvent(
        source_event_id=row["source_event_id"],
        source_event_type=row["source_event_type"],
        reason=row["reason"],
        error=row["error"],
        suspended_at=aware(row["suspended_at"]),
        envelope=row["envelope"],
        raw=row["raw"],
        origin=row["origin"],
        status=row["status"],
        attempts=row["attempts"],
        resolved_at=aware(row["resolved_at"]),
        resolved_by=row["resolved_by"],
        entry_id=row["entry_id"],
    )
