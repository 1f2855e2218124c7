"""HTTP routes of periods: list the months, close one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from coulisse.platform.clock import today
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import ClosePeriod
from ..domain.periods import PERIOD_PATTERN
from .deps import ClockDep, CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas import PeriodRead

router = APIRouter(prefix="/v1/periods", tags=["periods"])


@router.get("", response_model=Page[PeriodRead], summary="Months of the books, with their status")
async def list_periods(
    _: ReadScope, uow_factory: UowFactoryDep, clock: ClockDep
) -> Page[PeriodRead]:
    # Months are few (twelve a year): one page always holds them all.
    async with uow_factory() as uow:
        found = await queries.list_periods(uow.session, today(clock))
    return Page[PeriodRead](items=[PeriodRead.of(period) for period in found], next_cursor=None)


@router.post(
    "/{period}/close",
    response_model=PeriodRead,
    summary="Close a month: nothing will ever be dated in it again",
    responses=problems(
        (
            409,
            "the month is already closed or has not begun, or an earlier month with entries is "
            "still open (`open_periods`)",
        )
    ),
)
async def close_period(
    period: Annotated[str, Path(pattern=PERIOD_PATTERN, examples=["2026-10"])],
    _: WriteScope,
    commands: CommandsDep,
) -> PeriodRead:
    closed = await commands.run(handlers.close_period, ClosePeriod(period))
    return PeriodRead.of(closed)
