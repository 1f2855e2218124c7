"""Refunds: money paid back to a customer out of their available credit, never more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.contracts.billing import PaymentMethod, RefundIssued, RefundReason
from coulisse.platform.domain import Aggregate, InvalidInput

from .amounts import check_amount
from .customers import BillingCustomer


@dataclass
class Refund(Aggregate):
    id: UUID
    customer_id: UUID
    account_number: str
    amount: Decimal
    currency: str
    method: PaymentMethod
    issued_on: date
    reason: RefundReason
    created_at: datetime
    request_id: UUID | None = None

    @classmethod
    def issue(
        cls,
        customer: BillingCustomer,
        *,
        amount: Decimal,
        currency: str,
        method: PaymentMethod,
        issued_on: date,
        reason: RefundReason,
        request_id: UUID | None,
        now: datetime,
    ) -> Refund:
        account_number = customer.ensure_known()
        if amount <= 0:
            raise InvalidInput("a refund amount must be above 0", field="amount")
        check_amount(amount, field="amount")
        customer.take_credit(amount)
        refund = cls(
            id=uuid4(),
            customer_id=customer.id,
            account_number=account_number,
            amount=amount,
            currency=currency,
            method=method,
            issued_on=issued_on,
            reason=reason,
            request_id=request_id,
            created_at=now,
        )
        refund.record(
            RefundIssued(
                refund_id=refund.id,
                customer_id=customer.id,
                account_number=account_number,
                amount=amount,
                currency=currency,
                method=method,
                issued_on=issued_on,
                reason=reason,
                request_id=request_id,
            )
        )
        return refund
