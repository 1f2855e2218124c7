"""HTTP routes of a customer in reporting: the 360° view and the timeline."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.api import PageQuery
from coulisse.platform.openapi import problems

from ..application import queries
from .deps import ReadScope, UowFactoryDep
from .schemas import Customer360Read, TimelinePage

router = APIRouter(prefix="/v1/customers", tags=["customers"])

UNKNOWN = (404, "reporting has read no event about this customer")


@router.get(
    "/{customer_id}/360",
    response_model=Customer360Read,
    summary="Everything about a customer: profile, balance, open invoices, collections, "
    "open requests and the latest events",
    responses=problems(UNKNOWN),
)
async def get_customer_360(
    customer_id: UUID, _: ReadScope, uow_factory: UowFactoryDep
) -> Customer360Read:
    async with uow_factory() as uow:
        found = await queries.customer_360(uow, customer_id)
    return Customer360Read.of(found)


@router.get(
    "/{customer_id}/timeline",
    response_model=TimelinePage,
    summary="Every event about a customer (journal entries on their account included), newest "
    "first",
    responses=problems(UNKNOWN),
)
async def get_timeline(
    customer_id: UUID, _: ReadScope, uow_factory: UowFactoryDep, page: PageQuery
) -> TimelinePage:
    async with uow_factory() as uow:
        found = await queries.timeline(uow, customer_id, page)
    return TimelinePage.of(found)
