"""Shared pieces of every HTTP API: strict request models, search patterns, dependencies.

Pages and cursors of list routes: `coulisse.platform.pagination`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from coulisse.platform.clock import Clock
from coulisse.platform.commands import CommandRunner
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.uow import UnitOfWork


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards escaped (escape char: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Typed dependencies: each service binds them to its own classes in `entrypoints/deps.py`
# (`CommandsDep[BillingUnitOfWork]`), so mypy checks route code against the real unit of work.
U = TypeVar("U", bound=UnitOfWork)
S = TypeVar("S", bound=ServiceSettings)


def _commands(request: Request) -> CommandRunner[Any]:
    runner: CommandRunner[Any] = request.app.state.runtime.commands
    return runner


def _uow_factory(request: Request) -> Callable[[], Any]:
    factory: Callable[[], Any] = request.app.state.runtime.uow_factory
    return factory


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


CommandsDep = Annotated[CommandRunner[U], Depends(_commands)]
UowFactoryDep = Annotated[Callable[[], U], Depends(_uow_factory)]
SettingsDep = Annotated[S, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]
