"""What billing's routes depend on: scopes (billing:read for reads, billing:write for changes),
the unit of work and the clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from coulisse.platform import api
from coulisse.platform.auth import Principal, require_scope

from ..adapters.uow import BillingUnitOfWork

ReadScope = Annotated[Principal, Depends(require_scope("billing:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("billing:write"))]
CommandsDep = api.CommandsDep[BillingUnitOfWork]
UowFactoryDep = api.UowFactoryDep[BillingUnitOfWork]
ClockDep = api.ClockDep
