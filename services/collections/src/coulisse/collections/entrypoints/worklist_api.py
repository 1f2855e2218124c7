"""HTTP route of the call center's worklist: who to call, the most overdue first."""

from __future__ import annotations

from fastapi import APIRouter, Query

from coulisse.platform.api import IsoDate, PageQuery
from coulisse.platform.clock import today
from coulisse.platform.pagination import Page

from ..application import queries
from .deps import ClockDep, ReadScope, UowFactoryDep
from .schemas.receivables import WorkItemRead

router = APIRouter(prefix="/v1/worklist", tags=["worklist"])


@router.get(
    "",
    response_model=Page[WorkItemRead],
    summary="Who to call: a call level reached, a promise broken, a plan breached",
)
async def get_worklist(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    as_of: IsoDate | None = Query(None, description="Default: today."),
) -> Page[WorkItemRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.worklist(uow, as_of or today(clock), page)
    return Page[WorkItemRead](items=[WorkItemRead.of(i) for i in found], next_cursor=next_cursor)
