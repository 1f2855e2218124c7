"""HTTP routes of refunds: pay back a customer's available credit, never more."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import IssueRefund
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.settlement import RefundCreate, RefundRead

router = APIRouter(prefix="/v1/refunds", tags=["refunds"])


@router.post(
    "",
    status_code=201,
    response_model=RefundRead,
    summary="Refund customer credit",
    responses=problems((409, "more than the customer's available credit (`credit_available`)")),
)
async def issue_refund(
    body: RefundCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = IssueRefund(
        customer_id=body.customer_id,
        amount=body.amount,
        currency=body.currency,
        method=body.method,
        reason=body.reason,
        issued_on=body.issued_on,
        request_id=body.request_id,
    )
    return await commands.create(handlers.issue_refund, command, render=RefundRead.of, key=key)


@router.get(
    "/{refund_id}",
    response_model=RefundRead,
    summary="Read a refund",
    responses=problems((404, "no such refund")),
)
async def get_refund(refund_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> RefundRead:
    async with uow_factory() as uow:
        refund = await uow.refunds.get(refund_id)
    if refund is None:
        raise NotFound(f"no refund {refund_id}")
    return RefundRead.of(refund)
