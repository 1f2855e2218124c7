"""Every event type we publish, and the model that reads its `data`.

The registry is built from the event modules themselves, so a new model is registered by
being written; a type declared twice stops the import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from . import accounting, billing, collections, customer
from .base import EventPayload

EVENT_MODULES: tuple[ModuleType, ...] = (customer, billing, collections, accounting)


class UnknownEventType(LookupError):
    """No model is registered for this event type (a typo, or a type newer than this code)."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}: no model in coulisse.contracts")
        self.event_type = event_type

    def __str__(self) -> str:
        return str(self.args[0])


def models_of(module: ModuleType) -> list[type[EventPayload]]:
    """The event models a module defines (not those it imports)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, EventPayload)
        and value.__module__ == module.__name__
    ]


def build_registry(models: Iterable[type[EventPayload]]) -> dict[str, type[EventPayload]]:
    """Maps each TYPE to its model, sorted by type; refuses a TYPE declared twice."""
    registry: dict[str, type[EventPayload]] = {}
    for model in models:
        other = registry.setdefault(model.TYPE, model)
        if other is not model:
            raise ValueError(
                f"{model.TYPE} is declared twice: {other.__qualname__} and {model.__qualname__}"
            )
    return dict(sorted(registry.items()))


EVENT_TYPES: dict[str, type[EventPayload]] = build_registry(
    model for module in EVENT_MODULES for model in models_of(module)
)


def model_for(event_type: str) -> type[EventPayload]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def parse_data(event_type: str, data: Mapping[str, Any]) -> EventPayload:
    """Reads the `data` of an event of the given type; raises `UnknownEventType` or
    `pydantic.ValidationError`."""
    return model_for(event_type).model_validate(data)


def events_on(topic: str) -> list[type[EventPayload]]:
    """The event models published on a topic, sorted by type."""
    return [model for model in EVENT_TYPES.values() if topic == model.TOPIC]
