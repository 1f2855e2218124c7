"""Positions in the read model's event sequence, as Server-Sent Events ids."""

from __future__ import annotations

MAX_POSITION = 2**63 - 1


def last_event_id(header: str | None) -> int | None:
    """The position a reconnecting client saw last (`Last-Event-ID`); None when absent or not
    one this service handed out."""
    if header is None:
        return None
    text = header.strip()
    if not text.isdigit() or len(text) > 19:
        return None
    position = int(text)
    return position if position <= MAX_POSITION else None


def event_types(types: str | None) -> frozenset[str]:
    """`types=a,b` of a stream: the event types it carries (all of them when empty)."""
    if not types:
        return frozenset()
    return frozenset(t.strip() for t in types.split(",") if t.strip())
