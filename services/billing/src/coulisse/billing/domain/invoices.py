"""The invoice: a draft until issued, then immutable; only payments, credit notes and write-offs
change what remains due."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.billing import InvoiceIssued, InvoiceKind
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .amounts import Line, RateAmounts, Totals, check_amount

InvoiceStatus = Literal["draft", "issued", "partially_paid", "paid", "credited", "written_off"]
INVOICE_STATUSES: tuple[InvoiceStatus, ...] = (
    "draft",
    "issued",
    "partially_paid",
    "paid",
    "credited",
    "written_off",
)
OPEN_STATUSES: tuple[InvoiceStatus, ...] = ("issued", "partially_paid")
"""The statuses of an invoice a payment can settle."""


@dataclass
class Invoice(Aggregate):
    id: UUID
    customer_id: UUID
    account_number: str
    kind: InvoiceKind
    currency: str
    lines: list[Line]
    created_at: datetime
    status: InvoiceStatus = "draft"
    number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    paid: Decimal = ZERO
    """Sum of the payments allocated to it."""
    credited: Decimal = ZERO
    """Gross of its credit notes."""
    credited_by_rate: dict[Decimal, RateAmounts] = field(default_factory=dict)
    credit_applied: Decimal = ZERO
    """The part of `credited` that reduced the amount due; the rest became customer credit."""
    written_off: Decimal = ZERO
    written_off_on: date | None = None
    source_fee_id: UUID | None = None
    issued_at: datetime | None = None
    version: int = 1

    @classmethod
    def draft(
        cls,
        *,
        customer_id: UUID,
        account_number: str,
        lines: Sequence[Line],
        currency: str,
        kind: InvoiceKind = "standard",
        issue_date: date | None = None,
        due_date: date | None = None,
        source_fee_id: UUID | None = None,
        now: datetime,
    ) -> Invoice:
        if not lines:
            raise InvalidInput("an invoice needs at least one line", field="lines")
        check_amount(Totals.of(lines).gross, field="lines")
        if issue_date is not None and due_date is not None:
            check_due_date(issue_date, due_date)
        return cls(
            id=uuid4(),
            customer_id=customer_id,
            account_number=account_number,
            kind=kind,
            currency=currency,
            lines=list(lines),
            issue_date=issue_date,
            due_date=due_date,
            source_fee_id=source_fee_id,
            created_at=now,
        )

    # -- amounts ------------------------------------------------------------------------------

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)

    @property
    def amount_due(self) -> Decimal:
        if self.number is None:
            return ZERO  # nothing is owed before the invoice is issued
        return self.totals.gross - self.paid - self.credit_applied - self.written_off

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES and self.amount_due > 0

    # -- issuing ------------------------------------------------------------------------------

    def ensure_draft(self) -> None:
        if self.number is not None:
            raise Conflict(
                f"invoice {self.number} is already issued: it can only be corrected by a credit note"
            )

    def issue(self, *, number: str, issue_date: date, due_date: date, now: datetime) -> None:
        self.ensure_draft()
        check_due_date(issue_date, due_date)
        self.number = number
        self.issue_date = issue_date
        self.due_date = due_date
        self.issued_at = now
        self._changed()
        totals = self.totals
        self.record(
            InvoiceIssued(
                invoice_id=self.id,
                number=number,
                kind=self.kind,
                customer_id=self.customer_id,
                account_number=self.account_number,
                issue_date=issue_date,
                due_date=due_date,
                currency=self.currency,
                lines=[line.to_contract() for line in self.lines],
                vat_breakdown=[r.to_contract() for r in totals.breakdown],
                total_net=totals.net,
                total_vat=totals.vat,
                total_gross=totals.gross,
            )
        )

    # -- settling -----------------------------------------------------------------------------

    def allocate(self, amount: Decimal, *, field: str) -> None:
        """A payment settles `amount` of this invoice."""
        if self.status not in OPEN_STATUSES:
            raise Conflict(
                f"invoice {self.number or self.id} is {self.status}: no payment can be allocated to it",
                field=field,
            )
        if amount > self.amount_due:
            raise Conflict(
                f"only {self.amount_due:.2f} remains due on invoice {self.number}: "
                f"{amount:.2f} cannot be allocated to it",
                field=field,
            )
        self.paid += amount
        self._changed()

    def remaining_creditable(self) -> dict[Decimal, RateAmounts]:
        """Per VAT rate, what credit notes may still cancel."""
        return {
            amounts.vat_rate: amounts
            - self.credited_by_rate.get(amounts.vat_rate, RateAmounts(amounts.vat_rate))
            for amounts in self.totals.breakdown
        }

    @property
    def creditable_gross(self) -> Decimal:
        return self.totals.gross - self.credited

    def ensure_creditable(self) -> None:
        if self.status == "draft":
            raise Conflict("a draft invoice is not issued yet: there is nothing to credit")
        if self.status == "written_off":
            raise Conflict(
                f"invoice {self.number} was written off: a credit note would refund money "
                "that was never paid"
            )
        if self.creditable_gross <= 0:
            raise Conflict(f"invoice {self.number} is already fully credited")

    def credit(self, lines: Sequence[Line]) -> Decimal:
        """A credit note cancels `lines`; returns the part that exceeds the amount due, which
        becomes customer credit (the invoice had already been paid)."""
        self.ensure_creditable()
        totals = Totals.of(lines)
        if totals.gross <= 0:
            raise InvalidInput("a credit note must credit an amount above 0", field="lines")
        remaining = self.remaining_creditable()
        for credited in totals.breakdown:
            left = remaining.get(credited.vat_rate)
            if left is None:
                raise Conflict(
                    f"invoice {self.number} has no line at {credited.vat_rate} % VAT",
                    field="lines",
                )
            if credited.net > left.net or credited.vat > left.vat:
                raise Conflict(
                    f"at {credited.vat_rate} % VAT, only {left.net:.2f} net and {left.vat:.2f} VAT "
                    f"remain creditable on invoice {self.number}; this credit note asks for "
                    f"{credited.net:.2f} net and {credited.vat:.2f} VAT",
                    field="lines",
                    remaining_creditable=f"{self.creditable_gross:.2f}",
                )
        if totals.gross > self.creditable_gross:
            raise Conflict(
                f"only {self.creditable_gross:.2f} remains creditable on invoice {self.number}",
                field="lines",
                remaining_creditable=f"{self.creditable_gross:.2f}",
            )
        applied = min(self.amount_due, totals.gross)
        self.credited += totals.gross
        for credited in totals.breakdown:
            before = self.credited_by_rate.get(credited.vat_rate, RateAmounts(credited.vat_rate))
            self.credited_by_rate[credited.vat_rate] = before + credited
        self.credit_applied += applied
        self._changed()
        return totals.gross - applied

    def remaining_lines(self) -> list[Line]:
        """The lines of a full credit note: the invoice's own lines when nothing was credited yet,
        otherwise one line per VAT rate with exactly what remains, so the invoice ends at zero."""
        self.ensure_creditable()
        if self.credited == 0:
            return list(self.lines)
        lines = []
        for rate, left in self.remaining_creditable().items():
            if left.net == 0 and left.vat == 0:
                continue
            lines.append(
                Line(
                    description=f"Remainder of invoice {self.number} at {rate} % VAT",
                    quantity=Decimal(1),
                    unit_price=left.net,
                    vat_rate=rate,
                    net=left.net,
                    vat=left.vat,
                )
            )
        return lines

    def write_off(self, amount_gross: Decimal, written_off_on: date) -> Decimal:
        """Collections gave up on this invoice; returns what exceeds the amount due (the books
        wrote off more than billing still had due), which becomes customer credit."""
        if self.status == "draft":
            raise Conflict("a draft invoice cannot be written off")
        if self.status == "written_off":
            raise Conflict(f"invoice {self.number} is already written off")
        applied = min(self.amount_due, amount_gross)
        self.written_off += applied
        self.written_off_on = written_off_on
        self._changed()
        return amount_gross - applied

    def _changed(self) -> None:
        self.version += 1
        self.status = self._current_status()

    def _current_status(self) -> InvoiceStatus:
        if self.number is None:
            return "draft"
        if self.written_off_on is not None:
            return "written_off"
        gross = self.totals.gross
        if gross > 0 and self.credited == gross:
            return "credited"
        if self.amount_due == 0:
            return "paid"
        if self.paid > 0:
            return "partially_paid"
        return "issued"


def check_due_date(issue_date: date, due_date: date) -> None:
    if due_date < issue_date:
        raise InvalidInput(
            f"the due date {due_date.isoformat()} is before the issue date {issue_date.isoformat()}",
            field="due_date",
        )
