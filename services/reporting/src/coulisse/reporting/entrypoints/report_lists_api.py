"""HTTP routes of the lists behind the pulse's figures, paged like every list of the API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from coulisse.contracts.customer import RequestCategory
from coulisse.platform.api import PageQuery

from ..application import operations
from ..application.operations import age_days
from .deps import ClockDep, ReadScope, UowFactoryDep
from .reports_schemas import (
    CorrectionPage,
    CorrectionRead,
    ManualEntryPage,
    ManualEntryRead,
    OpenRequestPage,
    OpenRequestRead,
    OutOfBandWritePage,
    OutOfBandWriteRead,
    SuspendedRead,
    SuspensePage,
)

router = APIRouter(prefix="/v1/reports", tags=["reports"])

WindowDays = Annotated[
    int, Query(ge=1, le=3650, description="The last `days` days. Default: 45, as the pulse.")
]


@router.get(
    "/requests",
    response_model=OpenRequestPage,
    summary="Customer requests not resolved (or past their deadline too), oldest first",
)
async def unresolved_requests(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    state: Annotated[
        Literal["unresolved", "late"],
        Query(description="`unresolved`: neither resolved nor rejected; `late`: and past due."),
    ] = "unresolved",
    category: Annotated[RequestCategory | None, Query()] = None,
) -> OpenRequestPage:
    async with uow_factory() as uow:
        found = await operations.requests(uow, state, clock.now(), category, page)
    return OpenRequestPage(
        items=[OpenRequestRead.of(r) for r in found.items], next_cursor=found.next_cursor
    )


@router.get(
    "/manual-entries",
    response_model=ManualEntryPage,
    summary="Manual journal entries posted in the last days (reversals apart), newest first",
)
async def manual_entries(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    days: WindowDays = 45,
) -> ManualEntryPage:
    async with uow_factory() as uow:
        found = await operations.manual_entries(uow, clock.now(), days, page)
    return ManualEntryPage(
        items=[ManualEntryRead.of(e) for e in found.items], next_cursor=found.next_cursor
    )


@router.get(
    "/out-of-band-writes",
    response_model=OutOfBandWritePage,
    summary="Changes to a service's business tables made outside the service, newest first",
)
async def out_of_band_writes(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    days: WindowDays = 45,
) -> OutOfBandWritePage:
    async with uow_factory() as uow:
        found = await operations.out_of_band_writes(uow, clock.now(), days, page)
    return OutOfBandWritePage(
        items=[OutOfBandWriteRead.of(w) for w in found.items], next_cursor=found.next_cursor
    )


@router.get(
    "/corrections",
    response_model=CorrectionPage,
    summary="Corrections made the right way: credit notes, refunds, reversals; newest first",
)
async def corrections(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    days: WindowDays = 45,
) -> CorrectionPage:
    async with uow_factory() as uow:
        found = await operations.corrections(uow, clock.now(), days, page)
    return CorrectionPage(
        items=[CorrectionRead.model_validate(c) for c in found.items],
        next_cursor=found.next_cursor,
    )


@router.get(
    "/suspense",
    response_model=SuspensePage,
    summary="Events the books suspended and have not posted since, oldest first",
)
async def suspense(
    _: ReadScope, uow_factory: UowFactoryDep, clock: ClockDep, page: PageQuery
) -> SuspensePage:
    now = clock.now()
    async with uow_factory() as uow:
        found = await operations.suspense(uow, page)
    return SuspensePage(
        items=[
            SuspendedRead(
                source_event_id=s.source_event_id,
                source_event_type=s.source_event_type,
                error=s.error,
                suspended_at=s.suspended_at,
                age_days=age_days(s.suspended_at, now),
                customer_id=s.customer_id,
                amount=s.amount,
            )
            for s in found.items
        ],
        next_cursor=found.next_cursor,
    )
