"""Aged receivables: what customers owe on a date, by how many days it has been due.

An invoice's open amount on a date is its total less what was paid, credited or written off
on it up to that date. Positive, it is aged into a bucket (or set apart when the invoice is
disputed); negative (credited or written off beyond what was left, or settled before its issue
was read), it is a credit the customer holds, shown with the unallocated payments and refunds
as **on account**, so that `receivables − on account` is what the books hold on 411 + 416.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from coulisse.platform.domain import InvalidInput

Basis = Literal["due_date", "invoice_date"]
DEFAULT_BOUNDS: tuple[int, ...] = (30, 60, 90)
MAX_BOUNDS = 12
MAX_DAYS = 3650
ZERO = Decimal("0.00")

_BOUND = re.compile(r"^[0-9]{1,4}$")
BOUNDS_RULE = "increasing positive whole numbers of days, comma-separated, e.g. 30,60,90"


def parse_bounds(text: str | None) -> tuple[int, ...]:
    """`buckets=30,60,90`: the upper bounds of the buckets between `not due` and the last."""
    if text is None:
        return DEFAULT_BOUNDS
    parts = [part.strip() for part in text.split(",")]
    if not parts or len(parts) > MAX_BOUNDS or not all(_BOUND.match(p) for p in parts):
        raise InvalidInput(f"buckets are {BOUNDS_RULE}", field="query.buckets")
    bounds = tuple(int(p) for p in parts)
    increasing = all(a < b for a, b in itertools.pairwise(bounds))
    if bounds[0] < 1 or bounds[-1] > MAX_DAYS or not increasing:
        raise InvalidInput(f"buckets are {BOUNDS_RULE} (at most {MAX_DAYS})", field="query.buckets")
    return bounds


@dataclass(frozen=True)
class Bucket:
    """Amounts `min_days` to `max_days` days old (either end open when None)."""

    key: str
    label: str
    min_days: int | None
    max_days: int | None

    def holds(self, days: int) -> bool:
        above = self.min_days is None or days >= self.min_days
        below = self.max_days is None or days <= self.max_days
        return above and below


def buckets(bounds: Sequence[int], basis: Basis) -> tuple[Bucket, ...]:
    """By due date: not due, then 1–30, 31–60, 61–90, over 90 days past due. By invoice date:
    0–30, 31–60, 61–90, over 90 days since issue (nothing is younger than its issue)."""
    found: list[Bucket] = []
    low = 1
    if basis == "due_date":
        found.append(Bucket("not_due", "not due", None, 0))
    else:
        low = 0
    for bound in bounds:
        found.append(Bucket(f"{low}-{bound}", f"{low}–{bound}", low, bound))
        low = bound + 1
    found.append(Bucket(f"over_{bounds[-1]}", f"over {bounds[-1]}", low, None))
    return tuple(found)


def age(as_of: date, *, issue_date: date | None, due_date: date | None, basis: Basis) -> int:
    """Days past due (due-date basis) or since issue (invoice-date basis) on `as_of`."""
    reference = due_date if basis == "due_date" else issue_date
    return 0 if reference is None else (as_of - reference).days


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice's open amount on the report's date."""

    customer_id: UUID
    invoice_id: UUID
    amount: Decimal
    issue_date: date | None
    due_date: date | None
    disputed: bool


@dataclass
class AgedBalance:
    """One customer's (or everyone's) receivables by bucket, disputed apart, and credit held."""

    buckets: list[Decimal]
    disputed: Decimal = ZERO
    on_account: Decimal = ZERO
    """What the customer holds as credit (unallocated payments and credit-note or write-off
    excess, less refunds): positive when they hold some."""
    overdue: Decimal = ZERO
    """Undisputed and disputed amounts past their due date, whatever the basis."""
    invoices: int = 0
    """Open invoices with something left to pay."""

    @property
    def undisputed(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def receivables(self) -> Decimal:
        return self.undisputed + self.disputed

    @property
    def balance(self) -> Decimal:
        """What the customer owes net of their credit: the books' 411 + 416."""
        return self.receivables - self.on_account

    def add(self, other: AgedBalance) -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        self.disputed += other.disputed
        self.on_account += other.on_account
        self.overdue += other.overdue
        self.invoices += other.invoices


@dataclass
class AgedReceivables:
    buckets: tuple[Bucket, ...]
    customers: dict[UUID, AgedBalance] = field(default_factory=dict)
    total: AgedBalance = field(default_factory=lambda: AgedBalance([]))


def age_receivables(
    invoices: Iterable[OpenInvoice],
    on_account: Mapping[UUID, Decimal],
    *,
    as_of: date,
    basis: Basis,
    bounds: Sequence[int],
) -> AgedReceivables:
    """Ages open invoices on `as_of`. `on_account` is, per customer, the sum of the movements
    tied to no invoice (negative: an unallocated payment; positive: a refund)."""
    defined = buckets(bounds, basis)
    report = AgedReceivables(defined, total=AgedBalance([ZERO] * len(defined)))

    def balance_of(customer_id: UUID) -> AgedBalance:
        found = report.customers.get(customer_id)
        if found is None:
            found = report.customers[customer_id] = AgedBalance([ZERO] * len(defined))
        return found

    for invoice in invoices:
        if invoice.amount == 0:
            continue
        balance = balance_of(invoice.customer_id)
        if invoice.amount < 0:
            balance.on_account -= invoice.amount
            continue
        balance.invoices += 1
        if invoice.due_date is not None and invoice.due_date < as_of:
            balance.overdue += invoice.amount
        if invoice.disputed:
            balance.disputed += invoice.amount
            continue
        days = age(as_of, issue_date=invoice.issue_date, due_date=invoice.due_date, basis=basis)
        index = next((i for i, b in enumerate(defined) if b.holds(days)), 0)
        balance.buckets[index] += invoice.amount
    for customer_id, amount in on_account.items():
        if amount != 0:
            balance_of(customer_id).on_account -= amount
    for customer_id in [c for c, b in report.customers.items() if _empty(b)]:
        del report.customers[customer_id]
    for balance in report.customers.values():
        report.total.add(balance)
    return report


def _empty(balance: AgedBalance) -> bool:
    return balance.receivables == 0 and balance.on_account == 0
