"""A dispute: the customer contests an invoice. While it is open, the invoice is neither dunned nor
charged late interest; once resolved (`upheld`: the customer was right, `rejected`: the invoice
stands), dunning resumes where it stood, and the days under dispute bear no interest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.collections import DisputeOpened, DisputeOutcome, DisputeResolved
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .receivables import Receivable

DisputeStatus = Literal["open", "resolved"]
OUTCOMES: tuple[DisputeOutcome, ...] = ("upheld", "rejected")
MAX_REASON = 2000


@dataclass
class Dispute(Aggregate):
    dispute_id: UUID
    customer_id: UUID
    invoice_id: UUID
    reason: str
    opened_on: date
    status: DisputeStatus = "open"
    outcome: DisputeOutcome | None = None
    resolved_on: date | None = None

    @classmethod
    def open(cls, receivable: Receivable, *, reason: str, opened_on: date) -> Dispute:
        reason = reason.strip() if isinstance(reason, str) else ""
        if not reason:
            raise InvalidInput("a dispute needs a reason", field="reason")
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"the reason is longer than {MAX_REASON} characters", field="reason")
        if not receivable.known:
            raise Conflict(
                f"invoice {receivable.invoice_id} is not known to collections yet",
                field="invoice_id",
            )
        if receivable.settled:
            # Nothing remains to collect: a settled invoice is corrected by billing, not disputed.
            raise Conflict(
                f"invoice {receivable.invoice_number} is settled: nothing remains to dispute",
                field="invoice_id",
            )
        if receivable.disputed:
            raise Conflict(
                f"invoice {receivable.invoice_number} is already under dispute",
                field="invoice_id",
            )
        dispute = cls(
            dispute_id=uuid4(),
            customer_id=receivable.customer_id,
            invoice_id=receivable.invoice_id,
            reason=reason,
            opened_on=opened_on,
        )
        receivable.dispute_opened(dispute.dispute_id, opened_on)
        dispute.record(
            DisputeOpened(
                dispute_id=dispute.dispute_id,
                customer_id=dispute.customer_id,
                invoice_id=dispute.invoice_id,
                reason=reason,
            )
        )
        return dispute

    def resolve(
        self, receivable: Receivable, *, outcome: DisputeOutcome, resolved_on: date
    ) -> None:
        if receivable.invoice_id != self.invoice_id:
            raise Conflict("this dispute is about another invoice", field="invoice_id")
        if self.status == "resolved":
            raise Conflict(
                f"the dispute was already resolved on {self.resolved_on} ({self.outcome})",
                field="outcome",
            )
        if outcome not in OUTCOMES:
            raise InvalidInput(
                f"unknown outcome {outcome!r}; known: {', '.join(OUTCOMES)}", field="outcome"
            )
        if resolved_on < self.opened_on:
            raise InvalidInput(
                f"a dispute opened on {self.opened_on} cannot be resolved on {resolved_on}",
                field="resolved_on",
            )
        self.status = "resolved"
        self.outcome = outcome
        self.resolved_on = resolved_on
        receivable.dispute_resolved(self.dispute_id, resolved_on)
        self.record(
            DisputeResolved(
                dispute_id=self.dispute_id,
                customer_id=self.customer_id,
                invoice_id=self.invoice_id,
                outcome=outcome,
            )
        )
