"""What reporting's routes depend on: scopes (reports:read for reads and streams,
reports:admin for rebuilds), the unit of work and the clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from coulisse.platform import api
from coulisse.platform.auth import Principal, require_scope

from ..adapters.uow import ReportingUnitOfWork
from ..config import ReportingSettings

ReadScope = Annotated[Principal, Depends(require_scope("reports:read"))]
AdminScope = Annotated[Principal, Depends(require_scope("reports:admin"))]
CommandsDep = api.CommandsDep[ReportingUnitOfWork]
UowFactoryDep = api.UowFactoryDep[ReportingUnitOfWork]
SettingsDep = api.SettingsDep[ReportingSettings]
ClockDep = api.ClockDep
