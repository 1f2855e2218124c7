"""HTTP routes of payments: receive one (allocated explicitly or oldest due first), read, list."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.api import PageQuery
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import ReceivePayment
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.settlement import PaymentCreate, PaymentRead

router = APIRouter(prefix="/v1/payments", tags=["payments"])


@router.post(
    "",
    status_code=201,
    response_model=PaymentRead,
    summary="Receive a payment",
    responses=problems(
        (
            409,
            "a payment with this `external_ref` was already received from the customer, or an "
            "allocation names an invoice that is not open or takes more than it owes",
        )
    ),
)
async def receive_payment(
    body: PaymentCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = ReceivePayment(
        customer_id=body.customer_id,
        amount=body.amount,
        currency=body.currency,
        method=body.method,
        received_on=body.received_on,
        external_ref=body.external_ref,
        allocations=None
        if body.allocations is None
        else tuple(a.to_domain() for a in body.allocations),
    )
    return await commands.create(handlers.receive_payment, command, render=PaymentRead.of, key=key)


@router.get("", response_model=Page[PaymentRead], summary="List payments, newest first")
async def list_payments(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    customer_id: UUID | None = None,
) -> Page[PaymentRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_payments(
            uow.session, customer_id=customer_id, page=page
        )
    return Page[PaymentRead](items=[PaymentRead.of(p) for p in found], next_cursor=next_cursor)


@router.get(
    "/{payment_id}",
    response_model=PaymentRead,
    summary="Read a payment",
    responses=problems((404, "no such payment")),
)
async def get_payment(payment_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> PaymentRead:
    async with uow_factory() as uow:
        payment = await uow.payments.get(payment_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}")
    return PaymentRead.of(payment)
