"""HTTP routes of the reports: trial balance, general ledger and customer sub-ledgers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from coulisse.platform.api import IsoDate, page_params
from coulisse.platform.clock import today
from coulisse.platform.pagination import MAX_LIMIT, PageParams

from ..application import queries
from .deps import ClockDep, ReadScope, UowFactoryDep
from .schemas import BalanceRowRead, LedgerRead, Totals, TrialBalanceRead

router = APIRouter(prefix="/v1", tags=["reports"])
# A ledger is read whole more often than paged through: the largest page by default.
LedgerPageQuery = Annotated[PageParams, Depends(page_params(default_limit=MAX_LIMIT))]


@router.get("/trial-balance", response_model=TrialBalanceRead, summary="Trial balance")
async def trial_balance(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    as_of: Annotated[IsoDate | None, Query(description="Default: today.")] = None,
) -> TrialBalanceRead:
    day = as_of or today(clock)
    async with uow_factory() as uow:
        rows = await queries.trial_balance(uow.session, day)
    return TrialBalanceRead(
        as_of=day,
        accounts=[BalanceRowRead.of(row) for row in rows],
        totals=Totals(
            debit=sum((row.debit for row in rows), Decimal(0)),
            credit=sum((row.credit for row in rows), Decimal(0)),
        ),
    )


@router.get(
    "/accounts/{account}/ledger",
    response_model=LedgerRead,
    response_model_by_alias=True,
    summary="General ledger of an account (prefix), or a customer's sub-ledger",
)
async def account_ledger(
    account: Annotated[str, Path(pattern=r"^[0-9]{1,12}$")],
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: LedgerPageQuery,
    auxiliary: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> LedgerRead:
    async with uow_factory() as uow:
        found = await queries.ledger(
            uow.session,
            account=account,
            auxiliary=auxiliary,
            date_from=date_from,
            date_to=date_to,
            page=page,
        )
    return LedgerRead.of(
        found, account=account, auxiliary=auxiliary, date_from=date_from, date_to=date_to
    )
