"""What the customer service's routes depend on: scopes, the unit of work, the clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from coulisse.platform import api
from coulisse.platform.auth import Principal, require_scope

from ..adapters.uow import CustomerUnitOfWork

ReadScope = Annotated[Principal, Depends(require_scope("customers:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("customers:write"))]
KeysScope = Annotated[Principal, Depends(require_scope("customers:keys"))]
"""Services that open customers' sealed personal fields; never a person's token."""
CommandsDep = api.CommandsDep[CustomerUnitOfWork]
UowFactoryDep = api.UowFactoryDep[CustomerUnitOfWork]
ClockDep = api.ClockDep
