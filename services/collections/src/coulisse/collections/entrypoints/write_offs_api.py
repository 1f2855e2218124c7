"""HTTP routes of write-offs: write off what remains due on an invoice, read one."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import WriteOffReceivable
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.receivables import WriteOffCreate, WriteOffRead

router = APIRouter(prefix="/v1/write-offs", tags=["write-offs"])


@router.post(
    "",
    status_code=201,
    response_model=WriteOffRead,
    summary="Write off what remains due",
    responses=problems(
        (404, "collections knows no such invoice (yet)"),
        (409, "nothing remains due, the invoice is disputed, or its account is not known yet"),
    ),
)
async def write_off(
    body: WriteOffCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = WriteOffReceivable(invoice_id=body.invoice_id, reason=body.reason)
    return await commands.create(handlers.write_off, command, render=WriteOffRead.of, key=key)


@router.get(
    "/{write_off_id}",
    response_model=WriteOffRead,
    summary="Read a write-off",
    responses=problems((404, "no such write-off")),
)
async def get_write_off(
    write_off_id: UUID, _: ReadScope, uow_factory: UowFactoryDep
) -> WriteOffRead:
    async with uow_factory() as uow:
        found = await uow.write_offs.get(write_off_id)
    if found is None:
        raise NotFound(f"no write-off {write_off_id}")
    return WriteOffRead.of(found)
