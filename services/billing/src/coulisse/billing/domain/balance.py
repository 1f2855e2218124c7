"""A customer's balance: what they owe (positive) or what billing owes them (negative)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .invoices import Invoice


@dataclass(frozen=True)
class Balance:
    invoiced: Decimal
    credited: Decimal
    paid: Decimal
    refunded: Decimal
    written_off: Decimal
    credit_available: Decimal
    open_invoices: Sequence[Invoice]

    @property
    def balance(self) -> Decimal:
        """The books' identity: invoices − credit notes − payments + refunds − write-offs."""
        return self.invoiced - self.credited - self.paid + self.refunded - self.written_off
