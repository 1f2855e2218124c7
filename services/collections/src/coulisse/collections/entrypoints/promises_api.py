"""HTTP routes of promises to pay: record one, read it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import RecordPromise
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.agreements import PromiseCreate, PromiseRead

router = APIRouter(prefix="/v1/promises", tags=["promises"])


@router.post(
    "",
    status_code=201,
    response_model=PromiseRead,
    summary="Record a promise to pay",
    responses=problems((404, "collections knows no such customer (yet)")),
)
async def record_promise(
    body: PromiseCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = RecordPromise(
        customer_id=body.customer_id,
        amount=body.amount,
        promised_on=body.promised_on,
        grace_days=body.grace_days,
        request_id=body.request_id,
    )
    return await commands.create(handlers.record_promise, command, render=PromiseRead.of, key=key)


@router.get(
    "/{promise_id}",
    response_model=PromiseRead,
    summary="Read a promise to pay",
    responses=problems((404, "no such promise")),
)
async def get_promise(promise_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> PromiseRead:
    async with uow_factory() as uow:
        found = await uow.promises.get(promise_id)
    if found is None:
        raise NotFound(f"no promise {promise_id}")
    return PromiseRead.of(found)
