"""Posting many events outside the consumer (`post-events`): the same rules and books, in
transactions of a given size."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import gateway_samples as samples
import pytest
import sqlalchemy as sa
from gateway_sqlite import books_on_sqlite

from coulisse.accounting_gateway.adapters.tables import journal_entries, letters
from coulisse.accounting_gateway.application.bulk_posting import Posted, post_in_transactions
from coulisse.accounting_gateway.bootstrap import GatewayUnitOfWorkFactory
from coulisse.accounting_gateway.entrypoints.bulk_post import read_events

CUSTOMER = uuid4()


@pytest.fixture
async def books(tmp_path: Path) -> AsyncIterator[GatewayUnitOfWorkFactory]:
    async with books_on_sqlite(tmp_path) as found:
        yield found


def envelopes() -> str:
    """Two invoices and the payment of both, one CloudEvents envelope a line."""
    day = date(2025, 3, 2)
    first, second = (
        samples.invoice(
            customer_id=CUSTOMER,
            account_number="C000042",
            issue_date=day,
            lines=[(Decimal(net), Decimal("20.0"), None)],
            number=number,
        )
        for net, number in (("100.00", "F2025-000001"), ("10.00", "F2025-000002"))
    )
    paid = samples.payment(
        customer_id=CUSTOMER,
        account_number="C000042",
        received_on=day,
        allocations=[(first, first.total_gross), (second, second.total_gross)],
    )
    return "".join(samples.envelope(p).value.decode() + "\n\n" for p in (first, second, paid))


async def test_events_are_posted_by_the_rules_in_transactions_of_the_size_asked(
    books: GatewayUnitOfWorkFactory,
) -> None:
    seen: list[int] = []
    posted = await post_in_transactions(
        read_events(io.StringIO(envelopes())),
        books,
        per_commit=2,
        progress=lambda p: seen.append(p.events),
    )
    assert posted == Posted(events=3, entries=3, transactions=2)
    assert seen == [2, 3]
    async with books() as uow:
        numbers = (
            await uow.session.execute(
                sa.select(journal_entries.c.entry_number).order_by(journal_entries.c.entry_number)
            )
        ).scalars()
        lettered = await uow.session.scalar(sa.select(sa.func.count()).select_from(letters))
    assert list(numbers) == ["BQ-2025-000001", "VT-2025-000001", "VT-2025-000002"]
    # The payment, posted in the second transaction, letters both invoices of the first.
    assert lettered == 4


async def test_an_event_already_posted_is_not_posted_again(
    books: GatewayUnitOfWorkFactory,
) -> None:
    text = envelopes()
    await post_in_transactions(read_events(io.StringIO(text)), books, per_commit=10)
    again = await post_in_transactions(read_events(io.StringIO(text)), books, per_commit=10)
    assert (again.events, again.entries) == (3, 0)
    async with books() as uow:
        count = await uow.session.scalar(sa.select(sa.func.count()).select_from(journal_entries))
    assert count == 3


async def test_a_transaction_holds_at_least_one_event(books: GatewayUnitOfWorkFactory) -> None:
    with pytest.raises(ValueError, match="per_commit"):
        await post_in_transactions(iter(()), books, per_commit=0)
