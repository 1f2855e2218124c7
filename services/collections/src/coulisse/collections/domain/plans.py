"""A payment plan: the customer settles some invoices by instalments. While every instalment due so
far was met, dunning of those invoices waits. An instalment is met when what was paid on the plan's
invoices by its due date plus the grace period covers it and every instalment before it; the first
one missed breaches the plan, and dunning resumes where it stood."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.collections import Installment as InstallmentPayload
from coulisse.contracts.collections import (
    PaymentPlanAgreed,
    PaymentPlanBreached,
    PaymentPlanCompleted,
)
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .amounts import check_amount
from .calendar import DEFAULT_GRACE_DAYS
from .promises import check_grace
from .receivables import Receivable

PlanStatus = Literal["active", "completed", "breached"]


@dataclass(frozen=True)
class Installment:
    due_date: date
    amount: Decimal


@dataclass
class PaymentPlan(Aggregate):
    plan_id: UUID
    customer_id: UUID
    invoice_ids: tuple[UUID, ...]
    installments: tuple[Installment, ...]
    agreed_on: date
    grace_days: int = DEFAULT_GRACE_DAYS
    status: PlanStatus = "active"
    received: dict[tuple[UUID, UUID], tuple[date, Decimal]] = field(default_factory=dict)
    """What settled the plan's invoices since it was agreed: (fact id, invoice id) → (day,
    amount). One fact may settle several invoices of the plan; each counts once."""
    missed: Installment | None = None
    closed_on: date | None = None

    @classmethod
    def agree(
        cls,
        *,
        customer_id: UUID,
        receivables: Sequence[Receivable],
        installments: Sequence[Installment],
        agreed_on: date,
        grace_days: int = DEFAULT_GRACE_DAYS,
    ) -> PaymentPlan:
        _check_invoices(customer_id, receivables)
        checked = _check_installments(installments, agreed_on)
        check_grace(grace_days)
        owed = sum((r.amount_due for r in receivables), ZERO)
        total = sum((i.amount for i in checked), ZERO)
        if total != owed:
            raise InvalidInput(
                f"the instalments add up to {total:.2f} but {owed:.2f} remains due on the "
                "invoices of the plan",
                field="installments",
                amount_due=f"{owed:.2f}",
            )
        plan = cls(
            plan_id=uuid4(),
            customer_id=customer_id,
            invoice_ids=tuple(r.invoice_id for r in receivables),
            installments=checked,
            agreed_on=agreed_on,
            grace_days=grace_days,
        )
        for receivable in receivables:
            receivable.plan_id = plan.plan_id
        plan.record(
            PaymentPlanAgreed(
                plan_id=plan.plan_id,
                customer_id=customer_id,
                invoice_ids=list(plan.invoice_ids),
                installments=[
                    InstallmentPayload(due_date=i.due_date, amount=i.amount) for i in checked
                ],
            )
        )
        return plan

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.installments), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((amount for _, amount in self.received.values()), ZERO)

    def deadline(self, installment: Installment) -> date:
        return installment.due_date + timedelta(days=self.grace_days)

    def settled(self, fact_id: UUID, invoice_id: UUID, amount: Decimal, on: date) -> bool:
        """A payment allocation or a credit note reduced one of the plan's invoices; False when it
        does not count for the plan (another invoice, before the agreement, already counted)."""
        if invoice_id not in self.invoice_ids or on < self.agreed_on:
            return False
        if (fact_id, invoice_id) in self.received:
            return False
        self.received[fact_id, invoice_id] = (
            on,
            check_amount(amount, field="amount", positive=False),
        )
        return True

    def missed_on(self, day: date) -> Installment | None:
        """The first instalment missed as of `day`: its deadline has passed and what arrived by
        then does not cover it and every instalment before it."""
        due = ZERO
        for installment in self.installments:
            due += installment.amount
            deadline = self.deadline(installment)
            if day <= deadline:
                return None
            if self._paid_through(deadline) < due:
                return installment
        return None

    def holds(self, invoice_id: UUID, day: date) -> bool:
        return (
            self.status == "active"
            and invoice_id in self.invoice_ids
            and self.agreed_on <= day
            and self.missed_on(day) is None
        )

    def review(self, as_of: date, receivables: Mapping[UUID, Receivable]) -> PlanStatus:
        """Completes the plan once everything is paid, or breaches it at its first missed
        instalment; either way its invoices leave it."""
        if self.status != "active":
            return self.status
        mine = [receivables[i] for i in self.invoice_ids if i in receivables]
        if self.paid >= self.total or (
            len(mine) == len(self.invoice_ids) and all(r.settled for r in mine)
        ):
            self.status = "completed"
            self.closed_on = as_of
            self.record(
                PaymentPlanCompleted(
                    plan_id=self.plan_id, customer_id=self.customer_id, completed_on=as_of
                )
            )
        elif (missed := self.missed_on(as_of)) is not None:
            self.status = "breached"
            self.missed = missed
            self.closed_on = self.deadline(missed) + timedelta(days=1)
            self.record(
                PaymentPlanBreached(
                    plan_id=self.plan_id,
                    customer_id=self.customer_id,
                    missed_installment_due_date=missed.due_date,
                )
            )
        else:
            return self.status
        for receivable in mine:
            if receivable.plan_id == self.plan_id:
                receivable.plan_id = None
        return self.status

    def complete_if_paid(self, on: date, receivables: Mapping[UUID, Receivable]) -> bool:
        """Completes the plan when what settled it covers it, and only then: a payment read out
        of date order must not breach a plan that a payment read next would have kept (breaches
        are for the dunning runs, which review plans on their date)."""
        if self.status != "active":
            return False
        mine = [receivables[i] for i in self.invoice_ids if i in receivables]
        covered = len(mine) == len(self.invoice_ids) and all(r.settled for r in mine)
        if self.paid < self.total and not covered:
            return False
        return self.review(on, receivables) == "completed"

    def _paid_through(self, day: date) -> Decimal:
        return sum((amount for on, amount in self.received.values() if on <= day), ZERO)


def _check_invoices(customer_id: UUID, receivables: Sequence[Receivable]) -> None:
    if not receivables:
        raise InvalidInput("a payment plan covers at least one invoice", field="invoice_ids")
    seen: set[UUID] = set()
    for index, receivable in enumerate(receivables):
        path = f"invoice_ids.{index}"
        if receivable.invoice_id in seen:
            raise InvalidInput("an invoice appears twice in the plan", field=path)
        seen.add(receivable.invoice_id)
        if receivable.customer_id != customer_id:
            raise Conflict(
                f"invoice {receivable.invoice_number or receivable.invoice_id} belongs to "
                "another customer",
                field=path,
            )
        if not receivable.known:
            raise Conflict(
                f"invoice {receivable.invoice_id} is not known to collections yet", field=path
            )
        if receivable.settled:
            raise Conflict(f"invoice {receivable.invoice_number} is already settled", field=path)
        if receivable.plan_id is not None:
            raise Conflict(
                f"invoice {receivable.invoice_number} is already on payment plan "
                f"{receivable.plan_id}",
                field=path,
            )


def _check_installments(
    installments: Sequence[Installment], agreed_on: date
) -> tuple[Installment, ...]:
    if not installments:
        raise InvalidInput("a payment plan needs at least one instalment", field="installments")
    checked: list[Installment] = []
    for index, installment in enumerate(installments):
        path = f"installments.{index}"
        amount = check_amount(installment.amount, field=f"{path}.amount")
        if index == 0 and installment.due_date < agreed_on:
            raise InvalidInput(
                f"the first instalment cannot be due ({installment.due_date}) before the plan is "
                f"agreed ({agreed_on})",
                field=f"{path}.due_date",
            )
        if checked and installment.due_date <= checked[-1].due_date:
            raise InvalidInput(
                "instalments must be in strictly increasing order of due date",
                field=f"{path}.due_date",
            )
        checked.append(Installment(due_date=installment.due_date, amount=amount))
    return tuple(checked)
