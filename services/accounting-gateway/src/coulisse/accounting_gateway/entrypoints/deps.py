"""Dependencies of the gateway's routes: scopes, the rule book in force, the engine, settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.auth import Principal, require_scope

from ..adapters.rules_file import RuleBookSource
from ..config import GatewaySettings

ReadScope = Annotated[Principal, Depends(require_scope("accounting:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("accounting:write"))]


def _rules(request: Request) -> RuleBookSource:
    source: RuleBookSource = request.app.state.runtime.uow_factory.rules
    return source


def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.runtime.engine
    return engine


def _settings(request: Request) -> GatewaySettings:
    settings = request.app.state.settings
    assert isinstance(settings, GatewaySettings)
    return settings


RulesDep = Annotated[RuleBookSource, Depends(_rules)]
EngineDep = Annotated[AsyncEngine, Depends(_engine)]
SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
