"""HTTP routes of disputes: open one on an invoice, resolve it, read it."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import OpenDispute, ResolveDispute
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.agreements import DisputeCreate, DisputeRead, DisputeResolve

router = APIRouter(prefix="/v1/disputes", tags=["disputes"])


@router.post(
    "",
    status_code=201,
    response_model=DisputeRead,
    summary="Open a dispute: dunning of it waits",
    responses=problems(
        (404, "collections knows no such invoice (yet)"),
        (409, "the invoice is settled or already under dispute"),
    ),
)
async def open_dispute(
    body: DisputeCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = OpenDispute(invoice_id=body.invoice_id, reason=body.reason)
    return await commands.create(handlers.open_dispute, command, render=DisputeRead.of, key=key)


@router.get(
    "/{dispute_id}",
    response_model=DisputeRead,
    summary="Read a dispute",
    responses=problems((404, "no such dispute")),
)
async def get_dispute(dispute_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> DisputeRead:
    async with uow_factory() as uow:
        found = await uow.disputes.get(dispute_id)
    if found is None:
        raise NotFound(f"no dispute {dispute_id}")
    return DisputeRead.of(found)


@router.post(
    "/{dispute_id}/resolve",
    response_model=DisputeRead,
    summary="Resolve a dispute, once",
    responses=problems(
        (404, "no such dispute"),
        (409, "the dispute is already resolved, or was changed meanwhile"),
    ),
)
async def resolve_dispute(
    dispute_id: UUID, body: DisputeResolve, _: WriteScope, commands: CommandsDep
) -> DisputeRead:
    command = ResolveDispute(dispute_id=dispute_id, outcome=body.outcome)
    return DisputeRead.of(await commands.run(handlers.resolve_dispute, command))
