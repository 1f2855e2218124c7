"""What users ask of the reporting service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRebuild:
    """Rebuild the read model from the topics' beginning, then swap it in."""

    requested_by: str
    stale_after_seconds: float
    """A rebuild still `running` after this long was interrupted (its process died): it is
    recorded as failed and no longer stops a new one."""
    start_now: bool = False
    """Recorded as running at once, for a process that runs it itself (the command line)."""
