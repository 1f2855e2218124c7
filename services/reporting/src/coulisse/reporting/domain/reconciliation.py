"""Billing's balance of each customer against the books' sub-ledger (411 + 416).

Billing's balance is invoices − credit notes − payments + refunds − write-offs, from billing's
and collections' events; the sub-ledger is debit − credit of the receivable lines whose
auxiliary account is the customer's account number. Their difference is the drift: zero once
every event is journaled and nobody fed the books by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Standing:
    """One customer (or one auxiliary account no event tied to a customer)."""

    customer_id: UUID | None
    account_number: str | None
    billing: Decimal
    books: Decimal

    @property
    def drift(self) -> Decimal:
        return self.billing - self.books

    @property
    def key(self) -> tuple[str, str]:
        """The order of the report: by account number, then customer id."""
        return (
            self.account_number or "",
            "" if self.customer_id is None else str(self.customer_id),
        )


def reconcile(
    billing: Mapping[UUID, Decimal],
    books: Mapping[str, Decimal],
    accounts: Mapping[str, UUID],
) -> list[Standing]:
    """Every customer or auxiliary account with a balance on either side, in report order.

    `accounts` maps an account number to its customer; books lines on an account number no
    event tied to a customer stand alone.
    """
    numbers: dict[UUID, str] = {}
    for number, customer_id in sorted(accounts.items()):
        numbers.setdefault(customer_id, number)
    on_books: dict[UUID, Decimal] = {}
    unmatched: dict[str, Decimal] = {}
    for number, amount in books.items():
        owner = accounts.get(number)
        if owner is None:
            unmatched[number] = unmatched.get(number, ZERO) + amount
        else:
            on_books[owner] = on_books.get(owner, ZERO) + amount
    rows = [
        Standing(
            customer_id,
            numbers.get(customer_id),
            billing.get(customer_id, ZERO),
            on_books.get(customer_id, ZERO),
        )
        for customer_id in set(billing) | set(on_books)
    ]
    rows.extend(Standing(None, number, ZERO, amount) for number, amount in unmatched.items())
    return sorted(rows, key=lambda row: row.key)


@dataclass(frozen=True)
class Drift:
    billing: Decimal
    books: Decimal
    drifting: int
    """Customers (or auxiliary accounts) whose two balances differ."""

    @property
    def net(self) -> Decimal:
        return self.billing - self.books


def total_drift(rows: list[Standing]) -> Drift:
    return Drift(
        billing=sum((row.billing for row in rows), ZERO),
        books=sum((row.books for row in rows), ZERO),
        drifting=sum(1 for row in rows if row.drift != 0),
    )
