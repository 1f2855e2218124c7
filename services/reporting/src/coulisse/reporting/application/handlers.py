"""One function per command, run inside one unit of work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from coulisse.platform.domain import Conflict

from ..adapters.uow import ReportingUnitOfWork
from .commands import RequestRebuild


async def request_rebuild(command: RequestRebuild, uow: ReportingUnitOfWork) -> Any:
    """A new rebuild request; refused while another is requested or running."""
    now = uow.clock.now()
    await uow.rebuilds.abandon_stale(now - timedelta(seconds=command.stale_after_seconds), now)
    active = await uow.rebuilds.active()
    if active is not None:
        raise Conflict(f"rebuild {active.id} is {active.state}", rebuild_id=str(active.id))
    rebuild_id = uuid4()
    await uow.rebuilds.add(rebuild_id, command.requested_by, now, running=command.start_now)
    return await uow.rebuilds.get(rebuild_id)
