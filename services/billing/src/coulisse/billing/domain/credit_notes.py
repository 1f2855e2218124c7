"""The credit note: the only correction of an issued invoice, in its own numbering series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.contracts.billing import CreditNoteIssued
from coulisse.platform.domain import Aggregate, InvalidInput

from .amounts import Line, Totals
from .invoices import Invoice

MAX_REASON = 1000


@dataclass
class CreditNote(Aggregate):
    id: UUID
    number: str
    invoice_id: UUID
    invoice_number: str
    customer_id: UUID
    account_number: str
    currency: str
    issue_date: date
    reason: str
    lines: list[Line]
    to_customer_credit: Decimal
    """What exceeded the invoice's amount due and became customer credit."""
    created_at: datetime

    @classmethod
    def issue(
        cls,
        invoice: Invoice,
        *,
        number: str,
        issue_date: date,
        reason: str,
        lines: Sequence[Line],
        to_customer_credit: Decimal,
        now: datetime,
    ) -> CreditNote:
        assert invoice.number is not None, "only an issued invoice is credited"
        note = cls(
            id=uuid4(),
            number=number,
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            customer_id=invoice.customer_id,
            account_number=invoice.account_number,
            currency=invoice.currency,
            issue_date=issue_date,
            reason=reason,
            lines=list(lines),
            to_customer_credit=to_customer_credit,
            created_at=now,
        )
        totals = note.totals
        note.record(
            CreditNoteIssued(
                credit_note_id=note.id,
                number=number,
                invoice_id=invoice.id,
                invoice_number=invoice.number,
                customer_id=note.customer_id,
                account_number=note.account_number,
                issue_date=issue_date,
                reason=reason,
                lines=[line.to_contract() for line in note.lines],
                vat_breakdown=[r.to_contract() for r in totals.breakdown],
                total_net=totals.net,
                total_vat=totals.vat,
                total_gross=totals.gross,
            )
        )
        return note

    @property
    def totals(self) -> Totals:
        return Totals.of(self.lines)


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            f"a credit note needs a reason of 1 to {MAX_REASON} characters", field="reason"
        )
    return reason


def check_credit_date(invoice: Invoice, issue_date: date) -> None:
    if invoice.issue_date is not None and issue_date < invoice.issue_date:
        raise InvalidInput(
            f"a credit note cannot be dated before its invoice ({invoice.issue_date.isoformat()})",
            field="issue_date",
        )
