"""Bodies of what is agreed or contested with a customer: disputes, promises, payment plans."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from coulisse.contracts.collections import DisputeOutcome, Installment
from coulisse.contracts.money import Money
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel, WholeNumber

from ...application.commands import InstallmentInput
from ...domain.calendar import DEFAULT_GRACE_DAYS
from ...domain.disputes import Dispute, DisputeStatus
from ...domain.plans import PaymentPlan, PlanStatus
from ...domain.promises import PromiseStatus, PromiseToPay

GRACE = (
    f"Days after the date before a missing payment counts (0 to 30, default {DEFAULT_GRACE_DAYS})."
)


class DisputeCreate(RequestModel):
    invoice_id: UUID
    reason: str


class DisputeResolve(RequestModel):
    outcome: DisputeOutcome = Field(description="`upheld`: the customer was right.")


class DisputeRead(ResponseModel):
    id: UUID
    dispute_id: UUID
    customer_id: UUID
    invoice_id: UUID
    reason: str
    opened_on: date
    status: DisputeStatus
    outcome: DisputeOutcome | None
    resolved_on: date | None

    @classmethod
    def of(cls, dispute: Dispute) -> DisputeRead:
        return cls(
            id=dispute.dispute_id,
            dispute_id=dispute.dispute_id,
            customer_id=dispute.customer_id,
            invoice_id=dispute.invoice_id,
            reason=dispute.reason,
            opened_on=dispute.opened_on,
            status=dispute.status,
            outcome=dispute.outcome,
            resolved_on=dispute.resolved_on,
        )


class PromiseCreate(RequestModel):
    customer_id: UUID
    amount: Money
    promised_on: IsoDate = Field(description="Not before today.")
    grace_days: WholeNumber = Field(DEFAULT_GRACE_DAYS, description=GRACE)
    request_id: UUID | None = Field(None, description="The customer request it answers.")


class PromiseRead(ResponseModel):
    id: UUID
    promise_id: UUID
    customer_id: UUID
    amount: Money
    promised_on: date
    request_id: UUID | None
    recorded_on: date
    grace_days: int
    deadline: date = Field(description="The last day a payment counts for it.")
    status: PromiseStatus
    paid: Money = Field(description="Received since it was recorded, up to its deadline.")
    closed_on: date | None

    @classmethod
    def of(cls, promise: PromiseToPay) -> PromiseRead:
        return cls(
            id=promise.promise_id,
            promise_id=promise.promise_id,
            customer_id=promise.customer_id,
            amount=promise.amount,
            promised_on=promise.promised_on,
            request_id=promise.request_id,
            recorded_on=promise.recorded_on,
            grace_days=promise.grace_days,
            deadline=promise.deadline,
            status=promise.status,
            paid=promise.paid,
            closed_on=promise.closed_on,
        )


class InstallmentIn(RequestModel):
    due_date: IsoDate
    amount: Money

    def to_input(self) -> InstallmentInput:
        return InstallmentInput(due_date=self.due_date, amount=self.amount)


class PlanCreate(RequestModel):
    customer_id: UUID
    invoice_ids: list[UUID] = Field(max_length=500)
    installments: list[InstallmentIn] = Field(
        max_length=500,
        description="In increasing order of due date, adding up to what remains due exactly.",
    )
    grace_days: WholeNumber = Field(DEFAULT_GRACE_DAYS, description=GRACE)


class PlanRead(ResponseModel):
    id: UUID
    plan_id: UUID
    customer_id: UUID
    invoice_ids: list[UUID]
    installments: list[Installment]
    agreed_on: date
    grace_days: int
    status: PlanStatus
    total: Money
    paid: Money = Field(description="What settled the plan's invoices since it was agreed.")
    missed_installment_due_date: date | None
    closed_on: date | None

    @classmethod
    def of(cls, plan: PaymentPlan) -> PlanRead:
        return cls(
            id=plan.plan_id,
            plan_id=plan.plan_id,
            customer_id=plan.customer_id,
            invoice_ids=list(plan.invoice_ids),
            installments=[
                Installment(due_date=i.due_date, amount=i.amount) for i in plan.installments
            ],
            agreed_on=plan.agreed_on,
            grace_days=plan.grace_days,
            status=plan.status,
            total=plan.total,
            paid=plan.paid,
            missed_installment_due_date=plan.missed.due_date if plan.missed else None,
            closed_on=plan.closed_on,
        )
