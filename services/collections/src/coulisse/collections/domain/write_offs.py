"""Writing off what remains due on an invoice that will not be collected.

What remains due is split between net and VAT in the invoice's own proportion (payments and
credit notes are taken to have settled both alike). The VAT is recovered only when the debt is
definitively irrecoverable (liquidation judgment, debtor gone, enforcement failed); a write-off for
a small balance or a commercial reason books the whole gross amount as a loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.collections import ReceivableWrittenOff
from coulisse.contracts.money import round_money
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .receivables import Receivable

WriteOffReason = Literal[
    "liquidation", "debtor_gone", "enforcement_failed", "small_balance", "commercial"
]
REASONS: tuple[WriteOffReason, ...] = (
    "liquidation",
    "debtor_gone",
    "enforcement_failed",
    "small_balance",
    "commercial",
)
DEFINITIVE: frozenset[WriteOffReason] = frozenset(
    {"liquidation", "debtor_gone", "enforcement_failed"}
)
"""The reasons that make the debt definitively irrecoverable."""


@dataclass
class WriteOff(Aggregate):
    write_off_id: UUID
    customer_id: UUID
    account_number: str
    invoice_id: UUID
    invoice_number: str
    reason: WriteOffReason
    amount_net: Decimal
    amount_vat: Decimal
    amount_gross: Decimal
    written_off_on: date
    was_doubtful: bool

    @property
    def vat_recovered(self) -> bool:
        return self.reason in DEFINITIVE

    @classmethod
    def decide(
        cls,
        receivable: Receivable,
        *,
        account_number: str,
        reason: WriteOffReason,
        on: date,
    ) -> WriteOff:
        """Writes off what remains due on `receivable`, which is then settled."""
        if reason not in REASONS:
            raise InvalidInput(
                f"unknown write-off reason {reason!r}; known: {', '.join(REASONS)}",
                field="reason",
            )
        invoice = receivable.invoice
        if invoice is None:
            raise Conflict(
                f"invoice {receivable.invoice_id} is not known to collections yet",
                field="invoice_id",
            )
        if receivable.settled:
            raise Conflict(f"nothing remains due on invoice {invoice.number}", field="invoice_id")
        if receivable.disputed:
            raise Conflict(
                f"invoice {invoice.number} is under dispute: resolve the dispute first",
                field="invoice_id",
            )
        gross = receivable.amount_due
        vat = round_money(gross * invoice.vat / invoice.gross)
        write_off = cls(
            write_off_id=uuid4(),
            customer_id=receivable.customer_id,
            account_number=account_number,
            invoice_id=receivable.invoice_id,
            invoice_number=invoice.number,
            reason=reason,
            amount_net=gross - vat,
            amount_vat=vat,
            amount_gross=gross,
            written_off_on=on,
            was_doubtful=receivable.doubtful_on is not None,
        )
        receivable.write_off_recorded(write_off.write_off_id, gross, on)
        write_off.record(
            ReceivableWrittenOff(
                write_off_id=write_off.write_off_id,
                customer_id=write_off.customer_id,
                account_number=account_number,
                invoice_id=write_off.invoice_id,
                invoice_number=invoice.number,
                amount_net=write_off.amount_net,
                amount_vat=write_off.amount_vat,
                amount_gross=gross,
                written_off_on=on,
                reason=reason,
                was_doubtful=write_off.was_doubtful,
                vat_recovered=write_off.vat_recovered,
            )
        )
        return write_off
