"""HTTP routes of customer requests (cases): list, read, move through their statuses."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.api import PageQuery
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import ChangeRequestStatus
from ..domain.requests import RequestStatus
from .deps import ClockDep, CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas import RequestPatch, RequestRead

router = APIRouter(prefix="/v1/requests", tags=["requests"])


@router.get("", response_model=Page[RequestRead], summary="List customer requests")
async def list_requests(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    page: PageQuery,
    status: RequestStatus | None = None,
    customer_id: UUID | None = None,
) -> Page[RequestRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_requests(
            uow.session, status=status, customer_id=customer_id, page=page
        )
    return Page[RequestRead](
        items=[RequestRead.of(r, clock.now()) for r in found], next_cursor=next_cursor
    )


@router.get(
    "/{request_id}",
    response_model=RequestRead,
    summary="Read a customer request",
    responses=problems((404, "no such request")),
)
async def get_request(
    request_id: UUID, _: ReadScope, uow_factory: UowFactoryDep, clock: ClockDep
) -> RequestRead:
    async with uow_factory() as uow:
        request = await uow.requests.get(request_id)
    if request is None:
        raise NotFound(f"no customer request {request_id}")
    return RequestRead.of(request, clock.now())


@router.patch(
    "/{request_id}",
    response_model=RequestRead,
    summary="Change a request's status (invalid transitions: 409)",
    responses=problems(
        (404, "no such request"),
        (409, "this status cannot follow the current one, or the request was changed meanwhile"),
    ),
)
async def change_status(
    request_id: UUID, body: RequestPatch, _: WriteScope, commands: CommandsDep, clock: ClockDep
) -> RequestRead:
    request = await commands.run(
        handlers.change_request_status,
        ChangeRequestStatus(request_id, body.status, body.resolution),
    )
    return RequestRead.of(request, clock.now())
