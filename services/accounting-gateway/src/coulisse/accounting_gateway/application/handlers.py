"""Command handlers. Each runs inside one unit of work that the caller commits."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from coulisse.contracts.base import CloudEvent
from coulisse.platform.clock import today
from coulisse.platform.context import current_causation
from coulisse.platform.domain import Conflict, NotFound
from coulisse.platform.envelope import MalformedEvent, parse_record_value
from coulisse.platform.telemetry import current_trace_id

from ..adapters.uow import GatewayUnitOfWork
from ..domain.journal_entry import JournalEntry
from ..domain.periods import Period, parse_period, period_of
from ..domain.rule_engine import NoPosting, Refusal, translate
from ..domain.suspense import SuspendedEvent
from .commands import ClosePeriod, PostManualEntry, RetrySuspended, ReverseEntry
from .reactions import SourceEvent, post_event

SERVICE = "accounting-gateway"


def _actor() -> str:
    return current_causation(default_actor=f"system:{SERVICE}").actor


async def _refuse_closed(uow: GatewayUnitOfWork, day: date, field: str) -> None:
    closed = await uow.periods.closed()
    period = period_of(day)
    if period in closed:
        raise Conflict(f"{period} is closed: nothing can be dated in it", field=field)


async def post_manual_entry(command: PostManualEntry, uow: GatewayUnitOfWork) -> JournalEntry:
    rules = uow.rules.current
    entry_date = command.entry_date or today(uow.clock)
    entry = JournalEntry.manual_entry(
        journal_code=command.journal_code,
        entry_date=entry_date,
        label=command.label,
        piece_ref=command.piece_ref,
        lines=command.lines,
        actor=_actor(),
        trace_id=current_trace_id(),
        chart=rules.chart,
        journals=rules.journals,
    )
    await _refuse_closed(uow, entry_date, "entry_date")
    uow.books.add(entry)
    await uow.books.flush()
    return entry


async def reverse_entry(command: ReverseEntry, uow: GatewayUnitOfWork) -> JournalEntry:
    original = await uow.books.get(command.entry_id)
    if original is None:
        raise NotFound(f"no journal entry {command.entry_id}")
    if await uow.books.reversal_of(original.id) is not None:
        raise Conflict(f"entry {original.entry_number} is already reversed")
    entry_date = command.entry_date or today(uow.clock)
    await _refuse_closed(uow, entry_date, "entry_date")
    reversal = original.reversal(
        entry_date=entry_date,
        label=command.label,
        actor=_actor(),
        trace_id=current_trace_id(),
    )
    uow.books.add(reversal)
    await uow.books.flush()
    return reversal


async def close_period(command: ClosePeriod, uow: GatewayUnitOfWork) -> Period:
    parse_period(command.period)
    await uow.periods.lock_for_closing()
    period = await uow.periods.get(command.period)
    now = uow.clock.now()
    period.close(
        today=today(uow.clock),
        now=now,
        actor=_actor(),
        entry_count=await uow.periods.entry_count(command.period),
        earlier_open_with_entries=await uow.periods.open_months_with_entries(command.period),
    )
    await uow.periods.save(period)
    return period


async def retry_suspended(command: RetrySuspended, uow: GatewayUnitOfWork) -> SuspendedEvent:
    """Runs the rules in force on the stored event; posts it at most once, ever."""
    item = await uow.suspense.get(command.source_event_id)
    if item is None:
        raise NotFound(f"no suspended event {command.source_event_id}")
    if item.status == "resolved":
        return item
    now = uow.clock.now()
    existing = await uow.books.find_by_source(item.source_event_id)
    if existing is not None:
        item.resolve(entry_id=existing.id, now=now, actor=_actor())
        await uow.suspense.save(item)
        return item
    source = _stored_event(item)
    outcome = translate(uow.rules.current, source.type, source.data)
    if isinstance(outcome, Refusal):
        raise Conflict(
            f"the rules in force still refuse this event: {outcome}", reason=outcome.kind
        )
    if not isinstance(outcome, NoPosting):
        await post_event(source, uow)
        await uow.books.flush()
    # Read back rather than trust what was added: a delivery may have posted it meanwhile.
    posted = await uow.books.find_by_source(item.source_event_id)
    item.resolve(entry_id=posted.id if posted else None, now=now, actor=_actor())
    await uow.suspense.save(item)
    return item


def _stored_event(item: SuspendedEvent) -> SourceEvent:
    try:
        if item.envelope is not None:
            return SourceEvent.of(CloudEvent.model_validate(item.envelope))
        return SourceEvent.of(parse_record_value(item.raw).envelope)
    except (MalformedEvent, ValidationError) as exc:
        raise Conflict(f"the stored record still cannot be read: {exc}") from exc
