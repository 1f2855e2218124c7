"""Administration of the read model: rebuilding it from the topics."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from coulisse.platform.openapi import problems

from ..application import handlers, queries
from ..application.commands import RequestRebuild
from .deps import AdminScope, CommandsDep, SettingsDep, UowFactoryDep
from .schemas import RebuildRead

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post(
    "/rebuild",
    status_code=202,
    response_model=RebuildRead,
    summary="Rebuild the read model from the beginning of every topic, then swap it in",
    description=(
        "The rebuild runs in the background (the `workers` role): the routes keep answering "
        "from the current read model until the rebuilt one replaces it in one transaction."
    ),
    responses=problems((409, "a rebuild is already requested or running")),
)
async def request_rebuild(
    principal: AdminScope, commands: CommandsDep, settings: SettingsDep
) -> RebuildRead:
    command = RequestRebuild(principal.sub, settings.rebuild_stale_after_seconds)
    found = await commands.run(handlers.request_rebuild, command)
    return RebuildRead.model_validate(found)


@router.get(
    "/rebuilds/{rebuild_id}",
    response_model=RebuildRead,
    summary="Where a rebuild stands",
    responses=problems((404, "no such rebuild")),
)
async def get_rebuild(rebuild_id: UUID, _: AdminScope, uow_factory: UowFactoryDep) -> RebuildRead:
    async with uow_factory() as uow:
        found = await queries.rebuild(uow, rebuild_id)
    return RebuildRead.model_validate(found)
