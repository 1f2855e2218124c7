"""What the gateway's routes depend on: scopes, the unit of work, the rule book in force, the
engine, the settings and the clock."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from coulisse.platform import api
from coulisse.platform.auth import Principal, require_scope

from ..adapters.rules_file import RuleBookSource
from ..adapters.uow import GatewayUnitOfWork
from ..config import GatewaySettings

ReadScope = Annotated[Principal, Depends(require_scope("accounting:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("accounting:write"))]
CommandsDep = api.CommandsDep[GatewayUnitOfWork]
UowFactoryDep = api.UowFactoryDep[GatewayUnitOfWork]
SettingsDep = api.SettingsDep[GatewaySettings]
ClockDep = api.ClockDep


def _rules(request: Request) -> RuleBookSource:
    source: RuleBookSource = request.app.state.runtime.uow_factory.rules
    return source


RulesDep = Annotated[RuleBookSource, Depends(_rules)]
EngineDep = api.EngineDep
