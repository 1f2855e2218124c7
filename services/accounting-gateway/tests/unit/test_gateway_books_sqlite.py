"""The posting path on SQLite (the quick local run): bulk posting, numbering, lettering, suspense."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import gateway_samples as samples
import pytest
import sqlalchemy as sa
from gateway_sqlite import books_on_sqlite

from coulisse.accounting_gateway.adapters.tables import (
    journal_entries,
    journal_lines,
    letters,
    suspense,
)
from coulisse.accounting_gateway.application.reactions import SourceEvent, post_event
from coulisse.accounting_gateway.bootstrap import GatewayUnitOfWorkFactory
from coulisse.contracts.base import CloudEvent, EventPayload
from coulisse.platform.tables import outbox_table

CUSTOMER = uuid4()
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
async def sqlite_books(tmp_path: Path) -> AsyncIterator[GatewayUnitOfWorkFactory]:
    """Units of work on a fresh SQLite file: the quick local run's database, no network."""
    async with books_on_sqlite(tmp_path) as found:
        yield found


def source(payload: EventPayload) -> SourceEvent:
    outgoing = samples.envelope(payload, traceparent=TRACEPARENT, actor="web-shop")
    return SourceEvent.of(CloudEvent.model_validate_json(outgoing.value))


async def post_all(books: GatewayUnitOfWorkFactory, events: list[SourceEvent]) -> None:
    async with books() as uow:
        for event in events:
            await post_event(event, uow)
        await uow.commit()


async def test_a_batch_is_numbered_without_gaps_and_lettered(
    sqlite_books: GatewayUnitOfWorkFactory,
) -> None:
    invoice = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=date(2026, 3, 2),
        lines=[(Decimal("100.00"), Decimal("20.0"), None)],
    )
    second = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=date(2026, 3, 3),
        lines=[(Decimal("10.00"), Decimal("20.0"), None)],
        number="F2026-000002",
    )
    paid = samples.payment(
        customer_id=CUSTOMER,
        account_number="C000042",
        received_on=date(2026, 3, 20),
        allocations=[(invoice, Decimal("120.00")), (second, Decimal("2.00"))],
    )
    events = [source(invoice), source(second), source(paid)]
    await post_all(sqlite_books, events)
    await post_all(sqlite_books, events)  # posted again: nothing new

    async with sqlite_books() as uow:
        rows = (
            await uow.session.execute(
                sa.select(journal_entries.c.entry_number, journal_entries.c.trace_id).order_by(
                    journal_entries.c.position
                )
            )
        ).all()
        assert [r.entry_number for r in rows] == [
            "VT-2026-000001",
            "VT-2026-000002",
            "BQ-2026-000001",
        ]
        assert {r.trace_id for r in rows} == {"0af7651916cd43dd8448eb211c80319c"}
        lettered = (await uow.session.execute(sa.select(letters))).all()
        assert {r.letter for r in lettered} == {"AA"} and len(lettered) == 2
        assert {r.lettered_on for r in lettered} == {date(2026, 3, 20)}
        published = (
            await uow.session.execute(sa.select(outbox_table.c.event_type, outbox_table.c.key))
        ).all()
        assert sorted(published) == [
            ("accounting.entry.posted.v1", "BQ"),
            ("accounting.entry.posted.v1", "VT"),
            ("accounting.entry.posted.v1", "VT"),
        ]

    rest = samples.payment(
        customer_id=CUSTOMER,
        account_number="C000042",
        received_on=date(2026, 4, 1),
        allocations=[(second, Decimal("10.00"))],
    )
    await post_all(sqlite_books, [source(rest)])
    async with sqlite_books() as uow:
        lettered = (await uow.session.execute(sa.select(letters.c.letter))).scalars().all()
        assert sorted(lettered) == ["AA", "AA", "AB", "AB", "AB"]


async def test_an_event_without_rule_is_suspended_once(
    sqlite_books: GatewayUnitOfWorkFactory,
) -> None:
    strange = SourceEvent(
        id=uuid4(),
        type="billing.invoice.voided.v1",
        data={"invoice_id": str(uuid4())},
        actor="web-shop",
        trace_id=None,
    )
    await post_all(sqlite_books, [strange])
    await post_all(sqlite_books, [strange])
    async with sqlite_books() as uow:
        rows = (await uow.session.execute(sa.select(suspense))).all()
        assert len(rows) == 1 and rows[0].reason == "no_rule" and rows[0].attempts == 2
        assert (
            await uow.session.scalar(sa.select(sa.func.count()).select_from(journal_entries)) == 0
        )
        types = (await uow.session.execute(sa.select(outbox_table.c.event_type))).scalars().all()
        assert types == ["accounting.event.suspended.v1"]


async def test_long_texts_from_an_event_are_kept_whole(
    sqlite_books: GatewayUnitOfWorkFactory,
) -> None:
    # The contracts bound no text: a number, a reference or an actor is booked as it came.
    number = "F2026-" + "9" * 400
    invoice = samples.invoice(
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=date(2026, 5, 4),
        lines=[(Decimal("10.00"), Decimal("20.0"), None)],
        number=number,
    )
    outgoing = samples.envelope(invoice, actor="agent:" + "x" * 300)
    await post_all(sqlite_books, [SourceEvent.of(CloudEvent.model_validate_json(outgoing.value))])
    async with sqlite_books() as uow:
        [entry] = (await uow.session.execute(sa.select(journal_entries))).all()
        assert entry.piece_ref == number
        assert entry.label == f"Facture {number} C000042"
        assert entry.actor == "agent:" + "x" * 300
        labels = (await uow.session.execute(sa.select(journal_lines.c.label))).scalars().all()
        assert f"TVA 20.0 % facture {number}" in labels
