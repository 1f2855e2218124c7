"""CloudEvents envelope: how an event payload becomes a Kafka record, and back."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from pydantic import ValidationError

from coulisse.contracts.base import CloudEvent, EventPayload
from coulisse.contracts.registry import EVENT_TYPES
from coulisse.platform.clock import default_clock

CONTENT_TYPE = CloudEvent.CONTENT_TYPE


class MalformedEvent(ValueError):
    """A record that is not a CloudEvent we can read: retrying it will never help."""


P = TypeVar("P", bound=EventPayload)


@dataclass(frozen=True)
class OutgoingEvent:
    """An event ready for the outbox."""

    event_id: UUID
    topic: str
    key: str
    event_type: str
    value: bytes
    traceparent: str | None
    time: datetime


def build_envelope(
    payload: EventPayload,
    *,
    service: str,
    actor: str,
    correlation_id: str | None,
    traceparent: str | None,
    event_id: UUID | None = None,
    time: datetime | None = None,
) -> OutgoingEvent:
    event_id = event_id or uuid4()
    time = time or default_clock().now()
    envelope = CloudEvent(
        id=event_id,
        source=f"/coulisse/{service}",
        type=payload.TYPE,
        subject=payload.subject,
        time=time,
        partitionkey=payload.partition_key,
        traceparent=traceparent,
        actor=actor,
        # The first event of a flow starts it: its own id ties the rest together.
        correlationid=correlation_id or str(event_id),
        data=payload.model_dump(mode="json"),
    )
    value = envelope.model_dump_json(exclude_none=True).encode()
    return OutgoingEvent(
        event_id=event_id,
        topic=payload.TOPIC,
        key=payload.partition_key,
        event_type=payload.TYPE,
        value=value,
        traceparent=traceparent,
        time=time,
    )


@dataclass(frozen=True)
class IncomingEvent:
    """A consumed event: its envelope and, when its type is known, its typed payload."""

    envelope: CloudEvent
    payload: EventPayload | None

    @property
    def id(self) -> UUID:
        return self.envelope.id

    @property
    def type(self) -> str:
        return self.envelope.type

    def payload_as(self, model: builtins.type[P]) -> P:
        """The typed payload, for a handler registered for `model`'s type."""
        if not isinstance(self.payload, model):
            raise TypeError(f"{self.type} {self.id} does not carry a {model.__name__}")
        return self.payload


def describe_invalid(exc: ValidationError) -> str:
    """Where and why data does not fit its model, without the values (they may be personal
    data, and this text reaches logs and dead-letter headers)."""
    problems = [
        f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)
    ]
    return f"{exc.error_count()} validation error(s): " + "; ".join(problems)


def error_text(exc: BaseException) -> str:
    """`Type: message` of an error, for logs, spans and dead-letter headers; a validation error
    says where and why, not the values it was given."""
    message = describe_invalid(exc) if isinstance(exc, ValidationError) else str(exc)
    return f"{type(exc).__name__}: {message}"


def parse_record_value(value: bytes | None) -> IncomingEvent:
    if not value:
        raise MalformedEvent("empty record value")
    try:
        raw: Any = json.loads(value)
        envelope = CloudEvent.model_validate(raw)
    except ValidationError as exc:
        raise MalformedEvent(f"not a CloudEvents JSON document: {describe_invalid(exc)}") from exc
    except ValueError as exc:
        raise MalformedEvent(f"not a CloudEvents JSON document: {exc}") from exc
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        return IncomingEvent(envelope=envelope, payload=None)
    try:
        payload = model.model_validate(envelope.data)
    except ValidationError as exc:
        raise MalformedEvent(
            f"{envelope.type} payload does not match its schema: {describe_invalid(exc)}"
        ) from exc
    return IncomingEvent(envelope=envelope, payload=payload)
