"""Shared pieces of every HTTP API: strict request models and dependencies.

Pages and cursors of list routes: `coulisse.platform.pagination` (no HTTP in it, so the
application layer uses it too); their query parameters: `PageQuery` here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.clock import Clock
from coulisse.platform.commands import CommandRunner
from coulisse.platform.openapi import Needs, needs
from coulisse.platform.pagination import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT, PageParams
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.uow import UnitOfWork

# A character that stripping keeps: anything but Unicode White_Space, which pydantic strips.
NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _stripped_text(schema: dict[str, Any]) -> None:
    """Text is stripped before it is checked, so a text that must not be empty must not be
    blank either: the document says so with a pattern (unless the field has its own)."""
    if (
        schema.get("type") == "string"
        and schema.get("minLength", 0) >= 1
        and not {"pattern", "enum", "const", "format"} & schema.keys()
    ):
        schema["pattern"] = NOT_BLANK
    for value in schema.values():
        for nested in value if isinstance(value, list) else [value]:
            if isinstance(nested, dict):
                _stripped_text(nested)


class RequestModel(BaseModel):
    """A request body: unknown fields are rejected, not ignored; text is stripped."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_stripped_text
    )


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
"""A date of a request body or query (a bare date query would take `0` for 1970-01-01)."""


def _whole_number(value: Any) -> Any:
    # JSON has one kind of number: 30.0 is the number 30. 30.5, "30" and true are not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class Whole:
    """An integer of a request body, within bounds: `Annotated[int, Whole(ge=0, le=60)]`.

    A JSON number without a fraction (`30` or `30.0`), never a string or a boolean; the bounds
    appear in the OpenAPI document as `minimum` and `maximum`.
    """

    ge: int | None = None
    le: int | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        checked = core_schema.int_schema(strict=True, ge=self.ge, le=self.le)
        return core_schema.no_info_before_validator_function(_whole_number, checked)


WholeNumber = Annotated[int, Whole()]
"""An integer of a request body, unbounded."""


# Typed dependencies: each service binds them to its own classes in `entrypoints/deps.py`
# (`CommandsDep[BillingUnitOfWork]`), so mypy checks route code against the real unit of work.
U = TypeVar("U", bound=UnitOfWork)
S = TypeVar("S", bound=ServiceSettings)


@needs(Needs.DATABASE)
def _commands(request: Request) -> CommandRunner[Any]:
    runner: CommandRunner[Any] = request.app.state.runtime.commands
    return runner


@needs(Needs.DATABASE)
def _uow_factory(request: Request) -> Callable[[], Any]:
    factory: Callable[[], Any] = request.app.state.runtime.uow_factory
    return factory


@needs(Needs.DATABASE)
def _engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.runtime.engine
    return engine


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


CommandsDep = Annotated[CommandRunner[U], Depends(_commands)]
UowFactoryDep = Annotated[Callable[[], U], Depends(_uow_factory)]
EngineDep = Annotated[AsyncEngine, Depends(_engine)]
"""The engine itself, for reads that stream from a server-side cursor (exports)."""
SettingsDep = Annotated[S, Depends(_settings)]
ClockDep = Annotated[Clock, Depends(_clock)]


T = TypeVar("T")


async def started(chunks: AsyncIterator[T]) -> AsyncIterator[T]:
    """`chunks` with its first item already read.

    A streamed body that cannot start (the database is down) then fails before the status line
    is sent, so the client gets a problem (a 503) instead of a connection cut mid-answer.
    """
    head: list[T] = []
    with contextlib.suppress(StopAsyncIteration):
        head.append(await anext(chunks))

    async def resumed() -> AsyncIterator[T]:
        for chunk in head:
            yield chunk
        async for chunk in chunks:
            yield chunk

    return resumed()


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
