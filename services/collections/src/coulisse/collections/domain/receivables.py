"""The receivable of one invoice as collections sees it, rebuilt from billing's facts.

Facts may be read in any order and more than once (redeliveries, replays, collections' own
write-offs read back from its topic): a payment allocated to an invoice may be read before the
invoice itself. So a receivable can exist before its invoice is known: the amounts applied to it
are kept and count as soon as the invoice arrives. Each fact is applied once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceKind,
    PaymentReceived,
    RefundIssued,
)
from coulisse.contracts.collections import FeeKind, ReceivableWrittenOff
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Conflict

from .amounts import check_amount
from .calendar import ONE_DAY, DayRange


@dataclass(frozen=True)
class InvoiceFacts:
    """What the invoice says, once billing has issued it."""

    number: str
    kind: InvoiceKind
    issue_date: date
    due_date: date
    gross: Decimal
    vat: Decimal = ZERO
    """The VAT included in `gross`: a write-off splits what remains due in the same proportion."""


FactKind = Literal["payment", "credit_note", "write_off"]


@dataclass(frozen=True)
class Reduction:
    """One fact that reduced what remains due: a payment's allocation, a credit note, a write-off."""

    kind: FactKind
    on: date
    amount: Decimal


@dataclass
class Receivable:
    invoice_id: UUID
    customer_id: UUID
    invoice: InvoiceFacts | None = None
    """None until the invoice is known."""
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    written_off: Decimal = ZERO
    level: int = 0
    """The dunning level reached: 0 before the first notice."""
    level_reached_on: date | None = None
    indemnity_assessed_on: date | None = None
    interest_assessed_through: date | None = None
    """The last day late interest was assessed for: a later assessment starts the day after."""
    open_disputes: dict[UUID, date] = field(default_factory=dict)
    """Open dispute id → the day it was opened."""
    dispute_periods: list[DayRange] = field(default_factory=list)
    """Days the invoice spent under a dispute now resolved: no late interest runs on them."""
    plan_id: UUID | None = None
    waived_charges: frozenset[FeeKind] = frozenset()
    """Charges waived on this invoice: the runs never assess them."""
    doubtful_on: date | None = None
    settled_on: date | None = None
    """The day what was paid, credited and written off first covered the invoice (not before
    its issue): the same whatever order the facts were read in."""
    facts: dict[UUID, Reduction] = field(default_factory=dict)
    """Every fact applied, by its id (payment, credit note or write-off): each counts once."""

    # -- what it says --------------------------------------------------------------------------

    @property
    def known(self) -> bool:
        return self.invoice is not None

    @property
    def invoice_number(self) -> str | None:
        return self.invoice.number if self.invoice else None

    @property
    def due_date(self) -> date | None:
        return self.invoice.due_date if self.invoice else None

    @property
    def gross(self) -> Decimal:
        return self.invoice.gross if self.invoice else ZERO

    @property
    def is_fee(self) -> bool:
        return self.invoice is not None and self.invoice.kind == "fee"

    @property
    def amount_due(self) -> Decimal:
        """What the customer still owes on it; nothing until the invoice is known.

        Never below zero: a credit note larger than what remained became customer credit in
        billing, it does not make the invoice owe the customer.
        """
        if self.invoice is None:
            return ZERO
        return max(ZERO, self.invoice.gross - self.paid - self.credited - self.written_off)

    @property
    def settled(self) -> bool:
        return self.invoice is not None and self.amount_due == 0

    @property
    def disputed(self) -> bool:
        return bool(self.open_disputes)

    def days_late(self, on: date) -> int:
        """Days since the due date (0 on or before it)."""
        if self.invoice is None:
            return 0
        return max(0, (on - self.invoice.due_date).days)

    def overdue_on(self, day: date) -> bool:
        return self.invoice is not None and not self.settled and day > self.invoice.due_date

    def held_days(self, through: date) -> list[DayRange]:
        """The days under dispute, resolved or still open up to `through`."""
        held = list(self.dispute_periods)
        held.extend(
            DayRange(opened, through) for opened in self.open_disputes.values() if opened <= through
        )
        return held

    # -- billing's facts -----------------------------------------------------------------------

    def invoice_issued(self, facts: InvoiceFacts) -> bool:
        """The invoice is now known; False when it already was (a redelivered fact)."""
        if self.invoice is not None:
            if self.invoice != facts:
                raise Conflict(
                    f"invoice {self.invoice.number} is already known with other details",
                    field="invoice_id",
                )
            return False
        check_amount(facts.gross, field="total_gross", positive=False)
        self.invoice = facts
        self._changed()
        return True

    def payment_allocated(self, payment_id: UUID, amount: Decimal, received_on: date) -> bool:
        """A payment settled `amount` of it; False when that payment was already counted."""
        amount = check_amount(amount, field="allocations.amount", positive=False)
        if not self._first_time(payment_id, Reduction("payment", received_on, amount)):
            return False
        self.paid += amount
        self._changed()
        return True

    def credit_note_issued(self, credit_note_id: UUID, amount: Decimal, issued_on: date) -> bool:
        amount = check_amount(amount, field="total_gross", positive=False)
        if not self._first_time(credit_note_id, Reduction("credit_note", issued_on, amount)):
            return False
        self.credited += amount
        self._changed()
        return True

    def write_off_recorded(self, write_off_id: UUID, amount: Decimal, written_off_on: date) -> bool:
        amount = check_amount(amount, field="amount_gross", positive=False)
        if not self._first_time(write_off_id, Reduction("write_off", written_off_on, amount)):
            return False
        self.written_off += amount
        self._changed()
        return True

    def _first_time(self, fact_id: UUID, reduction: Reduction) -> bool:
        if fact_id in self.facts:
            return False
        self.facts[fact_id] = reduction
        return True

    def _changed(self) -> None:
        self.settled_on = None
        if self.invoice is None or not self.settled:
            return
        covered, covered_on = ZERO, self.invoice.issue_date
        for on, amount in sorted((fact.on, fact.amount) for fact in self.facts.values()):
            if covered >= self.invoice.gross:
                break
            covered, covered_on = covered + amount, on
        self.settled_on = max(covered_on, self.invoice.issue_date)

    # -- collections' own decisions ------------------------------------------------------------

    def reach_level(self, level: int, on: date) -> None:
        """A notice of `level` went out on `on`: levels are reached one after the other, at most
        one a day, never twice."""
        if level != self.level + 1:
            raise Conflict(
                f"invoice {self.invoice_number} is at level {self.level}: "
                f"level {level} would {'repeat' if level <= self.level else 'skip'} a level",
                field="level",
            )
        if self.level_reached_on is not None and on <= self.level_reached_on:
            raise Conflict(
                f"invoice {self.invoice_number} reached level {self.level} on "
                f"{self.level_reached_on}: the next level comes later",
                field="as_of",
            )
        self.level = level
        self.level_reached_on = on

    def indemnity_assessed(self, on: date) -> None:
        if self.indemnity_assessed_on is not None:
            raise Conflict(
                f"the recovery indemnity of invoice {self.invoice_number} was already assessed "
                f"on {self.indemnity_assessed_on}",
                field="invoice_id",
            )
        self.indemnity_assessed_on = on

    def interest_assessed(self, through: date) -> None:
        if self.interest_assessed_through is not None and through <= self.interest_assessed_through:
            raise Conflict(
                f"late interest of invoice {self.invoice_number} was already assessed through "
                f"{self.interest_assessed_through}",
                field="invoice_id",
            )
        self.interest_assessed_through = through

    def charge_waived(self, kind: FeeKind) -> None:
        self.waived_charges = self.waived_charges | {kind}

    def dispute_opened(self, dispute_id: UUID, on: date) -> None:
        self.open_disputes.setdefault(dispute_id, on)

    def dispute_resolved(self, dispute_id: UUID, on: date) -> None:
        opened = self.open_disputes.pop(dispute_id, None)
        # The day of the resolution counts again: the hold covers the days the dispute was open.
        if opened is not None and opened < on:
            self.dispute_periods.append(DayRange(opened, on - ONE_DAY))

    def classified_doubtful(self, on: date) -> None:
        if self.doubtful_on is None:
            self.doubtful_on = on


class ReceivableBook:
    """Every receivable collections knows, by invoice id, fed with billing's events."""

    def __init__(self, receivables: dict[UUID, Receivable] | None = None) -> None:
        self._by_invoice: dict[UUID, Receivable] = dict(receivables or {})

    def __iter__(self) -> Iterator[Receivable]:
        return iter(self._by_invoice.values())

    def __len__(self) -> int:
        return len(self._by_invoice)

    def get(self, invoice_id: UUID) -> Receivable | None:
        return self._by_invoice.get(invoice_id)

    def of_customer(self, customer_id: UUID) -> list[Receivable]:
        return [r for r in self._by_invoice.values() if r.customer_id == customer_id]

    def receivable(self, invoice_id: UUID, customer_id: UUID) -> Receivable:
        """The receivable of `invoice_id`, opened if no fact about it was seen yet."""
        found = self._by_invoice.get(invoice_id)
        if found is None:
            found = self._by_invoice[invoice_id] = Receivable(invoice_id, customer_id)
        elif found.customer_id != customer_id:
            raise Conflict(f"invoice {invoice_id} belongs to another customer", field="customer_id")
        return found

    def apply(self, event: EventPayload) -> list[Receivable]:
        """Applies one fact; returns the receivables it changed (none for a redelivered fact or a
        fact that does not concern an invoice, such as a refund out of customer credit)."""
        changed: list[Receivable] = []
        match event:
            case InvoiceIssued():
                receivable = self.receivable(event.invoice_id, event.customer_id)
                facts = InvoiceFacts(
                    number=event.number,
                    kind=event.kind,
                    issue_date=event.issue_date,
                    due_date=event.due_date,
                    gross=event.total_gross,
                    vat=event.total_vat,
                )
                if receivable.invoice_issued(facts):
                    changed.append(receivable)
            case PaymentReceived():
                # One payment may carry several allocations to one invoice: they count together.
                per_invoice: dict[UUID, Decimal] = defaultdict(lambda: ZERO)
                for allocation in event.allocations:
                    per_invoice[allocation.invoice_id] += allocation.amount
                for invoice_id, amount in per_invoice.items():
                    receivable = self.receivable(invoice_id, event.customer_id)
                    if receivable.payment_allocated(event.payment_id, amount, event.received_on):
                        changed.append(receivable)
            case CreditNoteIssued():
                receivable = self.receivable(event.invoice_id, event.customer_id)
                if receivable.credit_note_issued(
                    event.credit_note_id, event.total_gross, event.issue_date
                ):
                    changed.append(receivable)
            case ReceivableWrittenOff():
                receivable = self.receivable(event.invoice_id, event.customer_id)
                if receivable.write_off_recorded(
                    event.write_off_id, event.amount_gross, event.written_off_on
                ):
                    changed.append(receivable)
            case RefundIssued():
                pass  # paid out of customer credit: no invoice owes more or less
            case _:
                pass
        return changed
