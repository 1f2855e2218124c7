"""What billing knows of a customer, learned from `customer.events`, and the customer's credit.

Events of one customer arrive in order on their partition, but a replay or a dead-lettered event
retried later can still bring an update before the registration: each event fills in what it
knows, and a registration never overwrites what a (later) update already said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Conflict, InvalidInput

CustomerStatus = Literal["pending", "active", "erased"]
"""`pending`: only an update was seen so far; billing cannot bill them before the registration."""

DEFAULT_PAYMENT_TERMS_DAYS = 30


@dataclass
class BillingCustomer:
    id: UUID
    updated_at: datetime
    status: CustomerStatus = "pending"
    account_number: str | None = None
    display_name: str | None = None
    email: str | None = None
    payment_terms_days: int | None = None
    credit_available: Decimal = ZERO

    # -- learned from customer.events ---------------------------------------------------------

    def registered(
        self,
        *,
        account_number: str,
        display_name: str,
        email: str | None,
        payment_terms_days: int,
        now: datetime,
    ) -> None:
        self.account_number = account_number
        if self.payment_terms_days is None:
            self.payment_terms_days = payment_terms_days
        if self.status == "erased":
            return  # the erasure came first: the personal data must not come back
        self.display_name = self.display_name or display_name
        self.email = self.email or email
        self.status = "active"
        self._touch(now)

    def updated(self, changes: dict[str, Any], *, now: datetime) -> None:
        if "payment_terms_days" in changes and changes["payment_terms_days"] is not None:
            self.payment_terms_days = int(changes["payment_terms_days"])
        if self.status != "erased":
            if changes.get("display_name") is not None:
                self.display_name = str(changes["display_name"])
            if "email" in changes:
                self.email = changes["email"]
        self._touch(now)

    def erased(self, *, account_number: str, now: datetime) -> None:
        self.account_number = account_number
        self.status = "erased"
        # The books keep the account number; the name and the email are personal data.
        self.display_name = f"Erased customer {account_number}"
        self.email = None
        self._touch(now)

    # -- rules of billing ---------------------------------------------------------------------

    @property
    def terms_days(self) -> int:
        if self.payment_terms_days is None:
            return DEFAULT_PAYMENT_TERMS_DAYS
        return self.payment_terms_days

    def ensure_known(self) -> str:
        """The account number every billing document carries; refused until registered."""
        if self.account_number is None:
            raise unknown_customer(self.id)
        return self.account_number

    def ensure_billable(self) -> str:
        account_number = self.ensure_known()
        if self.status == "erased":
            raise Conflict(
                f"customer {self.id} has been erased: billing issues them no new invoice",
                field="customer_id",
            )
        return account_number

    def add_credit(self, amount: Decimal) -> None:
        if amount < 0:
            raise ValueError("credit is added, never removed, here")
        self.credit_available += amount

    def take_credit(self, amount: Decimal, *, field: str = "amount") -> None:
        if amount > self.credit_available:
            raise Conflict(
                f"the customer's available credit is {self.credit_available:.2f}: "
                f"{amount:.2f} cannot be taken from it",
                field=field,
                credit_available=f"{self.credit_available:.2f}",
            )
        self.credit_available -= amount

    def _touch(self, now: datetime) -> None:
        self.updated_at = now


def unknown_customer(customer_id: UUID) -> InvalidInput:
    return InvalidInput(
        f"billing does not know customer {customer_id}: customers are learned from the "
        "customer service's events; register the customer there first, or retry in a moment "
        "if they were registered just now",
        field="customer_id",
    )
