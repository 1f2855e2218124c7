"""HTTP routes of suspense: what could not be posted, and the retry once the rules are fixed."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from sqlalchemy.exc import IntegrityError

from coulisse.platform.api import PageQuery
from coulisse.platform.domain import Conflict, NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import RetrySuspended
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas import JournalEntryRead, RetryResult, SuspendedEventDetail, SuspendedEventRead

router = APIRouter(prefix="/v1/suspense", tags=["suspense"])


@router.get("", response_model=Page[SuspendedEventRead], summary="Suspended events")
async def list_suspense(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    status: Annotated[Literal["open", "resolved"] | None, Query()] = "open",
) -> Page[SuspendedEventRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_suspense(uow.session, status=status, page=page)
    return Page[SuspendedEventRead](
        items=[SuspendedEventRead.of(item) for item in found], next_cursor=next_cursor
    )


@router.get(
    "/{event_id}",
    response_model=SuspendedEventDetail,
    summary="A suspended event, with the envelope as received",
    responses=problems((404, "no such suspended event")),
)
async def get_suspended(
    event_id: UUID, _: ReadScope, uow_factory: UowFactoryDep
) -> SuspendedEventDetail:
    async with uow_factory() as uow:
        item = await queries.get_suspended(uow.session, event_id)
    if item is None:
        raise NotFound(f"no suspended event {event_id}")
    return SuspendedEventDetail.of(item)


@router.post(
    "/{event_id}/retry",
    response_model=RetryResult,
    summary="Run the rules in force on a suspended event; posts it once",
    responses=problems(
        (404, "no such suspended event"),
        (
            409,
            "the rules in force still refuse it (`reason`), its record still cannot be read, or "
            "it was posted meanwhile",
        ),
    ),
)
async def retry(
    event_id: UUID, _: WriteScope, commands: CommandsDep, uow_factory: UowFactoryDep
) -> RetryResult:
    try:
        item = await commands.run(handlers.retry_suspended, RetrySuspended(event_id))
    except IntegrityError as exc:
        raise Conflict("this event was posted meanwhile; read it again") from exc
    entry = None
    if item.entry_id is not None:
        async with uow_factory() as uow:
            found = await queries.get_entry(uow.session, item.entry_id)
            letters = await queries.letters_of(uow.session, [found] if found else [])
        entry = JournalEntryRead.of(found, letters) if found else None
    return RetryResult(suspense=SuspendedEventRead.of(item), entry=entry)
