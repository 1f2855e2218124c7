"""Shared pieces of every HTTP API: strict request models, pages and cursors, dependencies."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from coulisse.platform.clock import Clock
from coulisse.platform.commands import CommandRunner
from coulisse.platform.domain import InvalidInput
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.uow import UnitOfWork

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, Any]) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidInput("the cursor is not one this API returned", field="query.cursor") from exc
    if not isinstance(value, dict):
        raise InvalidInput("the cursor is not one this API returned", field="query.cursor")
    return value


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards escaped (escape char: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]
CursorQuery = Annotated[
    str | None, Query(max_length=500, description="`next_cursor` of the previous page")
]


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
