"""What collections' routes depend on: scopes (collections:read for reads, collections:write for
changes), the unit of work and the clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from coulisse.platform import api
from coulisse.platform.auth import Principal, require_scope

from ..adapters.uow import CollectionsUnitOfWork

ReadScope = Annotated[Principal, Depends(require_scope("collections:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("collections:write"))]
CommandsDep = api.CommandsDep[CollectionsUnitOfWork]
UowFactoryDep = api.UowFactoryDep[CollectionsUnitOfWork]
ClockDep = api.ClockDep
