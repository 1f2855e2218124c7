"""A promise to pay: the customer will pay an amount by a date. While it stands, dunning of the
customer's overdue invoices waits; it is kept as soon as the payments received since it was
recorded reach the amount, broken when the promised date plus the grace period passes without."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.collections import PromiseBroken, PromiseKept, PromiseRecorded
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, InvalidInput

from .amounts import check_amount
from .calendar import DEFAULT_GRACE_DAYS, MAX_GRACE_DAYS

PromiseStatus = Literal["pending", "kept", "broken"]


@dataclass
class PromiseToPay(Aggregate):
    promise_id: UUID
    customer_id: UUID
    amount: Decimal
    promised_on: date
    recorded_on: date
    grace_days: int = DEFAULT_GRACE_DAYS
    request_id: UUID | None = None
    status: PromiseStatus = "pending"
    paid: Decimal = ZERO
    """Received since the promise was recorded, up to its deadline."""
    closed_on: date | None = None
    counted_payments: set[UUID] = field(default_factory=set)

    @classmethod
    def new(
        cls,
        *,
        customer_id: UUID,
        amount: Decimal,
        promised_on: date,
        recorded_on: date,
        grace_days: int = DEFAULT_GRACE_DAYS,
        request_id: UUID | None = None,
    ) -> PromiseToPay:
        amount = check_amount(amount, field="amount")
        if promised_on < recorded_on:
            raise InvalidInput(
                f"a promise recorded on {recorded_on} cannot be to pay on {promised_on}, before",
                field="promised_on",
            )
        check_grace(grace_days)
        promise = cls(
            promise_id=uuid4(),
            customer_id=customer_id,
            amount=amount,
            promised_on=promised_on,
            recorded_on=recorded_on,
            grace_days=grace_days,
            request_id=request_id,
        )
        promise.record(
            PromiseRecorded(
                promise_id=promise.promise_id,
                customer_id=customer_id,
                amount=amount,
                promised_on=promised_on,
                request_id=request_id,
            )
        )
        return promise

    @property
    def deadline(self) -> date:
        """The last day a payment counts for the promise."""
        return self.promised_on + timedelta(days=self.grace_days)

    def holds_on(self, day: date) -> bool:
        """Whether the promise holds dunning on `day`: still standing, from the day it was recorded
        to its deadline. Read from the dates, so a promise not reviewed yet holds no longer."""
        return self.status == "pending" and self.recorded_on <= day <= self.deadline

    def payment_received(self, payment_id: UUID, amount: Decimal, received_on: date) -> bool:
        """Counts a payment of the customer; False when it does not count (outside the promise's
        days, already counted, promise already settled)."""
        if self.status != "pending" or payment_id in self.counted_payments:
            return False
        if not self.recorded_on <= received_on <= self.deadline:
            return False
        self.counted_payments.add(payment_id)
        self.paid += check_amount(amount, field="amount")
        if self.paid >= self.amount:
            self.status = "kept"
            self.closed_on = received_on
            self.record(PromiseKept(**self._outcome()))
        return True

    def review(self, as_of: date) -> PromiseStatus:
        """Breaks the promise once its deadline has passed unpaid; returns its status."""
        if self.status == "pending" and as_of > self.deadline:
            self.status = "broken"
            self.closed_on = self.deadline + timedelta(days=1)
            self.record(PromiseBroken(**self._outcome()))
        return self.status

    def _outcome(self) -> dict[str, object]:
        return {
            "promise_id": self.promise_id,
            "customer_id": self.customer_id,
            "amount": self.amount,
            "promised_on": self.promised_on,
            "paid": self.paid,
        }


def check_grace(grace_days: int) -> None:
    if isinstance(grace_days, bool) or not isinstance(grace_days, int):
        raise InvalidInput("the grace period is a whole number of days", field="grace_days")
    if not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise InvalidInput(
            f"the grace period is from 0 to {MAX_GRACE_DAYS} days, not {grace_days}",
            field="grace_days",
        )
