"""HTTP route of a customer's balance: what they owe, their open invoices, their credit."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.openapi import problems

from ..application import queries
from .deps import ReadScope, UowFactoryDep
from .schemas.settlement import BalanceRead

router = APIRouter(prefix="/v1/customers", tags=["balances"])


@router.get(
    "/{customer_id}/balance",
    response_model=BalanceRead,
    summary="A customer's balance and credit",
    responses=problems((404, "billing does not know this customer (yet)")),
)
async def get_balance(customer_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> BalanceRead:
    async with uow_factory() as uow:
        account_number, balance = await queries.customer_balance(uow.session, customer_id)
    return BalanceRead.of(customer_id, account_number, balance)
