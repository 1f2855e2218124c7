"""Building blocks of every service's domain model. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from coulisse.contracts.base import EventPayload


class DomainError(Exception):
    """A business rule refused the command. Mapped to problem+json by the HTTP layer."""

    status = 422
    title = "Business rule violated"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Gone(DomainError):
    """The resource existed and was removed for good (an erased customer's key)."""

    status = 410
    title = "Gone"


class Conflict(DomainError):
    """The command contradicts the current state (e.g. an invalid status transition)."""

    status = 409
    title = "Conflict with the current state"


class Aggregate:
    """An aggregate records the facts it produces; the unit of work turns them into outbox rows.

    Works as a mixin of dataclasses: the pending events live outside the dataclass fields.
    """

    @property
    def events(self) -> list[EventPayload]:
        pending: list[EventPayload] = self.__dict__.setdefault("_pending_events", [])
        return pending

    def record(self, event: EventPayload) -> None:
        self.events.append(event)

    def pull_events(self) -> list[EventPayload]:
        events = list(self.events)
        self.events.clear()
        return events
