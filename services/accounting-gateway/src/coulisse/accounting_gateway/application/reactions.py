"""Reactions to consumed events: posting a business event (the rules decide, the books record,
suspense keeps what cannot be posted) and keeping the labels of auxiliary accounts."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from coulisse.contracts.base import CloudEvent
from coulisse.contracts.customer import CustomerErased
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import DeadLetter, EventHandler
from coulisse.platform.personal_data import REGISTERED_TYPES, UPDATED_TYPES, CustomerEvents

from ..adapters.uow import GatewayUnitOfWork
from ..domain.journal_entry import JournalEntry
from ..domain.periods import posting_date
from ..domain.rule_engine import NoPosting, Refusal, translate
from ..domain.suspense import SuspendedEvent

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def trace_id_of(traceparent: str | None) -> str | None:
    match = _TRACEPARENT.match(traceparent or "")
    return match.group(1) if match else None


@dataclass(frozen=True)
class SourceEvent:
    """What the books need from a consumed event: its identity, its data, who and which trace."""

    id: UUID
    type: str
    data: Mapping[str, Any]
    actor: str
    trace_id: str | None
    cloud_event: CloudEvent | None = None

    @classmethod
    def of(cls, envelope: CloudEvent) -> SourceEvent:
        return cls(
            id=envelope.id,
            type=envelope.type,
            data=envelope.data,
            actor=envelope.actor,
            trace_id=trace_id_of(envelope.traceparent),
            cloud_event=envelope,
        )

    def envelope(self) -> dict[str, Any] | None:
        """The event as received, kept whole in suspense (built only for the rare suspension)."""
        if self.cloud_event is None:
            return None
        return self.cloud_event.model_dump(mode="json", exclude_none=True)


async def post_event(source: SourceEvent, uow: GatewayUnitOfWork) -> JournalEntry | None:
    """Posts the entry the rules give, or suspends the event; None when nothing is to be posted."""
    outcome = translate(uow.rules.current, source.type, source.data)
    if isinstance(outcome, NoPosting):
        return None
    if isinstance(outcome, Refusal):
        await uow.suspense.suspend(
            SuspendedEvent.suspend(
                source_event_id=source.id,
                source_event_type=source.type,
                reason=outcome.kind,
                error=outcome.reason,
                now=uow.clock.now(),
                envelope=source.envelope(),
            )
        )
        return None
    closed = await uow.periods.closed()
    entry = JournalEntry.from_proposal(
        outcome,
        entry_date=posting_date(outcome.document_date, closed),
        source_event_id=source.id,
        source_event_type=source.type,
        actor=source.actor,
        trace_id=source.trace_id,
    )
    uow.books.add(entry)
    return entry


async def apply_business_event(event: IncomingEvent, uow: GatewayUnitOfWork) -> None:
    """The consumer's handler for every event type: the rules file decides what it becomes."""
    await post_event(SourceEvent.of(event.envelope), uow)


def auxiliary_label_keeper(customers: CustomerEvents) -> EventHandler:
    """The handler of customer events: they keep the labels of the auxiliary accounts (FEC
    `CompAuxLib`), the only personal data the gateway keeps. Registrations and updates come v1
    (clear) or v2 (sealed), read through `customers`."""

    async def keep_auxiliary_label(event: IncomingEvent, uow: GatewayUnitOfWork) -> None:
        now = uow.clock.now()
        if event.type in REGISTERED_TYPES:
            details = await customers.registration(event)
            # Read after the erasure, it brings only a pseudonym: the label the books recorded
            # before stays (Code de commerce L123-22); an account never named gets the pseudonym.
            await uow.auxiliaries.register(
                account_number=details.account_number,
                customer_id=details.customer_id,
                label=details.display_name,
                now=now,
                keep_label=details.erased,
            )
        elif event.type in UPDATED_TYPES:
            update = await customers.update(event)
            label = update.changes.get("display_name")
            if label and not update.erased:
                await uow.auxiliaries.rename(customer_id=update.customer_id, label=label, now=now)
        elif isinstance(event.payload, CustomerErased):
            # Erasure removes personal data elsewhere; the books keep the name the law requires.
            await uow.auxiliaries.mark_erased(customer_id=event.payload.customer_id, now=now)
        # The rules still have their say (they map these types to "no posting" by default).
        await post_event(SourceEvent.of(event.envelope), uow)

    return keep_auxiliary_label


def dead_letter_suspension(letter: DeadLetter, now: datetime) -> SuspendedEvent:
    """A record the consumer could not read or apply, kept whole in suspense."""
    record = letter.record
    origin = f"{record.topic}/{record.partition}/{record.offset}"
    raw: bytes = record.value or b""
    envelope: dict[str, Any] | None = None
    if letter.event is not None:
        envelope = letter.event.envelope.model_dump(mode="json", exclude_none=True)
        event_id, event_type = letter.event.id, letter.event.type
    else:
        event_id, event_type = _identity_of(raw, origin)
    return SuspendedEvent.suspend(
        source_event_id=event_id,
        source_event_type=event_type,
        reason="dead_letter" if letter.event is not None else "malformed",
        error=letter.error,
        now=now,
        envelope=envelope,
        raw=None if envelope is not None else raw,
        origin=origin,
    )


def _identity_of(raw: bytes, origin: str) -> tuple[UUID, str]:
    """The event's own id and type when the record says them, else ids derived from its place."""
    try:
        document = json.loads(raw)
        return UUID(str(document["id"])), str(document.get("type") or "unknown")
    except (ValueError, TypeError, KeyError):
        return uuid5(NAMESPACE_URL, f"kafka:{origin}"), "unreadable"
