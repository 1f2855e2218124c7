"""Shared pieces of every HTTP API: strict request models and dependencies.

Pages and cursors of list routes: `coulisse.platform.pagination` (no HTTP in it, so the
application layer uses it too); their query parameters: `PageQuery` here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

from coulisse.platform.clock import Clock
from coulisse.platform.commands import CommandRunner
from coulisse.platform.pagination import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT, PageParams
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.uow import UnitOfWork


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> date:
    # Strict: a JSON string YYYY-MM-DD, never a number or a datetime that pydantic would coerce.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("a date is a string YYYY-MM-DD")
    return date.fromisoformat(value)


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-02"]}),
]
"""A date field of a request body."""


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


def page_params(default_limit: int = DEFAULT_LIMIT) -> Callable[..., PageParams]:
    """The `limit` and `cursor` query parameters of a list route, as one dependency."""

    def dependency(
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = default_limit,
        cursor: Annotated[
            str | None,
            Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page"),
        ] = None,
    ) -> PageParams:
        return PageParams(limit, cursor)

    return dependency


PageQuery = Annotated[PageParams, Depends(page_params())]
