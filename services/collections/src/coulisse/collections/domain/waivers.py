"""Waiving a late-payment charge before a run assesses it.

A commercial decision ("we were late delivering, we will not charge them interest") must leave a
trace in the back office, not only in someone's memory: the waiver names the invoice, the charge
and the reason, and the runs never assess that charge on that invoice afterwards. An indemnity
already assessed is not waived here: billing invoiced it, and only a credit note cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from coulisse.contracts.collections import FeeKind, FeeWaived
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .receivables import Receivable

FEE_KINDS: tuple[FeeKind, ...] = ("recovery_indemnity", "late_interest")


@dataclass
class ChargeWaiver(Aggregate):
    waiver_id: UUID
    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    kind: FeeKind
    reason: str
    waived_on: date

    @classmethod
    def decide(
        cls, receivable: Receivable, *, kind: FeeKind, reason: str, on: date
    ) -> ChargeWaiver:
        """Waives `kind` on `receivable` from `on`: the receivable remembers it for the runs."""
        if kind not in FEE_KINDS:
            raise InvalidInput(
                f"unknown charge {kind!r}; known: {', '.join(FEE_KINDS)}", field="kind"
            )
        if not reason.strip():
            raise InvalidInput("a waiver needs a reason", field="reason")
        invoice = receivable.invoice
        if invoice is None:
            raise Conflict(
                f"invoice {receivable.invoice_id} is not known to collections yet",
                field="invoice_id",
            )
        if receivable.is_fee:
            raise Conflict(
                f"invoice {invoice.number} is a fee invoice: it bears no charge to waive",
                field="invoice_id",
            )
        if receivable.settled:
            raise Conflict(
                f"nothing remains due on invoice {invoice.number}: no charge is left to waive",
                field="invoice_id",
            )
        if kind in receivable.waived_charges:
            raise Conflict(
                f"the {kind.replace('_', ' ')} of invoice {invoice.number} is already waived",
                field="kind",
            )
        if kind == "recovery_indemnity" and receivable.indemnity_assessed_on is not None:
            raise Conflict(
                f"the recovery indemnity of invoice {invoice.number} was assessed on "
                f"{receivable.indemnity_assessed_on} and invoiced: a credit note cancels it",
                field="kind",
            )
        waiver = cls(
            waiver_id=uuid4(),
            customer_id=receivable.customer_id,
            invoice_id=receivable.invoice_id,
            invoice_number=invoice.number,
            kind=kind,
            reason=reason.strip(),
            waived_on=on,
        )
        receivable.charge_waived(kind)
        waiver.record(
            FeeWaived(
                waiver_id=waiver.waiver_id,
                customer_id=waiver.customer_id,
                invoice_id=waiver.invoice_id,
                kind=kind,
                reason=waiver.reason,
                waived_on=on,
            )
        )
        return waiver
