"""The numbering counter is locked last: the statements of an issuing transaction, in order.

Taking a number locks the series' counter row until commit, and every issuer of the series waits
for it. So the counter is advanced in one statement (its last issue date with it), after the
document's other rows are written; after it comes only what carries the number.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from billing_calls import AGENT, create_invoice, two_lines
from billing_harness import Billing, running_billing
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.billing.adapters.repositories import CustomerRepository
from coulisse.billing.adapters.tables import customers
from coulisse.contracts.collections import FeeAssessed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def billing_api(billing_database: str) -> AsyncIterator[Billing]:
    """Billing's API alone (no relay polling the outbox): the statements seen are the request's."""
    async with running_billing(billing_database) as found:
        yield found


def _label(statement: str) -> str:
    """What a statement does, in a word and a table: `insert invoices`, `counter`, `notify`."""
    text = " ".join(statement.split())
    if "number_counters" in text:
        return "counter"
    if "pg_notify" in text:
        return "notify"
    if text.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
        # Invoices and credit notes share transactions (group commit): a savepoint each.
        return text.rsplit(" ", 1)[0].lower()
    written = re.match(r"(INSERT INTO|UPDATE|DELETE FROM) (\w+)", text)
    if written:
        return f"{written[1].split()[0].lower()} {written[2]}"
    read = re.search(r"\bFROM (\w+)", text)
    return f"select {read[1]}" if read else text[:60]


@contextmanager
def statements(billing: Billing) -> Iterator[list[tuple[Any, str]]]:
    """(connection, label) of every statement billing's engine runs meanwhile, and its commits."""
    seen: list[tuple[Any, str]] = []
    engine = billing.runtime.engine.sync_engine

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append((conn, _label(statement)))

    def committed(conn: Any) -> None:
        seen.append((conn, "commit"))

    sa.event.listen(engine, "before_cursor_execute", executed)
    sa.event.listen(engine, "commit", committed)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", executed)
        sa.event.remove(engine, "commit", committed)


def around_the_counter(seen: list[tuple[Any, str]]) -> tuple[list[str], list[str]]:
    """The statements of the one transaction that advanced a counter: before it, after it."""
    [(conn, _)] = [(conn, label) for conn, label in seen if label == "counter"]
    labels = [label for c, label in seen if c is conn]
    at = labels.index("counter")
    start = max((i + 1 for i, label in enumerate(labels[:at]) if label == "commit"), default=0)
    end = labels.index("commit", at)
    return labels[start:at], labels[at + 1 : end + 1]


async def test_an_invoice_and_its_lines_are_written_before_its_number_is_taken(
    billing_api: Billing,
) -> None:
    customer_id = await billing_api.register_customer()
    with statements(billing_api) as seen:
        response = await billing_api.client.post(
            "/v1/invoices",
            json={"customer_id": str(customer_id), "lines": two_lines()},
            headers={**AGENT, "Idempotency-Key": f"numbered-last-{uuid4()}"},
        )
    assert response.status_code == 201, response.text
    before, after = around_the_counter(seen)
    assert {"select customers", "insert invoices", "insert invoice_lines"} <= set(before)
    # After the number: the invoice's row gets it, the stored answer and the event carry it.
    assert sorted(after[:-1]) == [
        "insert idempotency_keys",
        "insert outbox",
        "notify",
        "release savepoint",
        "update invoices",
    ]
    assert after[-1] == "commit"


async def test_a_draft_is_issued_with_one_update_after_its_number(billing_api: Billing) -> None:
    customer_id = await billing_api.register_customer()
    draft = await create_invoice(billing_api.client, customer_id, issue=False)
    with statements(billing_api) as seen:
        issued = await billing_api.client.post(f"/v1/invoices/{draft['id']}/issue", headers=AGENT)
    assert issued.status_code == 200, issued.text
    before, after = around_the_counter(seen)
    assert "select invoices" in before
    assert sorted(after[:-1]) == ["insert outbox", "notify", "update invoices"]


async def test_a_credit_note_takes_its_number_after_the_invoice_and_credit_are_saved(
    billing_api: Billing,
) -> None:
    customer_id = await billing_api.register_customer()
    invoice = await create_invoice(billing_api.client, customer_id)
    paid = await billing_api.client.post(
        "/v1/payments",
        json={
            "customer_id": str(customer_id),
            "amount": invoice["total_gross"],
            "method": "transfer",
            "received_on": invoice["issue_date"],
            "external_ref": f"VIR-{uuid4().hex[:8]}",
        },
        headers=AGENT,
    )
    assert paid.status_code == 201, paid.text
    with statements(billing_api) as seen:
        note = await billing_api.client.post(
            f"/v1/invoices/{invoice['id']}/credit-notes",
            json={"reason": "Retour", "full": True},
            headers=AGENT,
        )
    assert note.status_code == 201, note.text
    assert note.json()["to_customer_credit"] == invoice["total_gross"]
    before, after = around_the_counter(seen)
    assert {"update invoices", "update customers"} <= set(before)
    # The credit note's row needs its number (NOT NULL), and its lines need the row.
    assert sorted(after[:-1]) == [
        "insert credit_note_lines",
        "insert credit_notes",
        "insert outbox",
        "notify",
        "release savepoint",
    ]


async def test_a_fee_invoice_is_written_before_its_number_is_taken(billing_api: Billing) -> None:
    customer_id = await billing_api.register_customer()
    late = await create_invoice(billing_api.client, customer_id)
    fee = FeeAssessed(
        fee_id=uuid4(),
        customer_id=customer_id,
        invoice_id=UUID(late["id"]),
        kind="late_interest",
        amount=Decimal("12.30"),
        # Before the series' last date: dated that date instead (numbers follow dates).
        assessed_on=date(2026, 11, 3),
    )
    with statements(billing_api) as seen:
        await billing_api.deliver(fee)
    before, after = around_the_counter(seen)
    assert {"insert invoices", "insert invoice_lines"} <= set(before)
    assert sorted(after[:-1]) == ["insert inbox", "insert outbox", "notify", "update invoices"]
    listed = await billing_api.client.get(
        "/v1/invoices", params={"customer_id": str(customer_id)}, headers=AGENT
    )
    [fee_invoice] = [i for i in listed.json()["items"] if i["kind"] == "fee"]
    assert fee_invoice["issue_date"] == late["issue_date"]
    assert int(fee_invoice["number"][-6:]) == int(late["number"][-6:]) + 1


async def test_a_row_referencing_a_customer_does_not_hold_up_changes_to_the_customer(
    billing_api: Billing,
) -> None:
    """An invoice waiting for its number holds a key-share lock on its customer's row (the
    foreign key's check); a payment locking that row to change the customer's credit must not
    wait for it."""
    customer_id = await billing_api.register_customer()
    engine = billing_api.runtime.engine
    async with engine.connect() as referencing, engine.connect() as changing:
        await referencing.execute(
            sa.select(customers.c.id)
            .where(customers.c.id == customer_id)
            .with_for_update(read=True, key_share=True)
        )
        await changing.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        session = AsyncSession(bind=changing)
        found = await CustomerRepository(session, lambda _: None).get(customer_id, for_update=True)
        assert found is not None
        await changing.rollback()
        await referencing.rollback()
