"""HTTP routes of payment plans: agree one, read it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import AgreePaymentPlan
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.agreements import PlanCreate, PlanRead

router = APIRouter(prefix="/v1/payment-plans", tags=["payment plans"])


@router.post(
    "",
    status_code=201,
    response_model=PlanRead,
    summary="Agree a payment plan",
    responses=problems(
        (404, "collections knows no such customer (yet)"),
        (
            409,
            "an invoice is unknown yet, settled, of another customer or already on a plan",
        ),
    ),
)
async def agree_plan(
    body: PlanCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = AgreePaymentPlan(
        customer_id=body.customer_id,
        invoice_ids=tuple(body.invoice_ids),
        installments=tuple(i.to_input() for i in body.installments),
        grace_days=body.grace_days,
    )
    return await commands.create(handlers.agree_payment_plan, command, render=PlanRead.of, key=key)


@router.get(
    "/{plan_id}",
    response_model=PlanRead,
    summary="Read a payment plan",
    responses=problems((404, "no such payment plan")),
)
async def get_plan(plan_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> PlanRead:
    async with uow_factory() as uow:
        found = await uow.plans.get(plan_id)
    if found is None:
        raise NotFound(f"no payment plan {plan_id}")
    return PlanRead.of(found)
