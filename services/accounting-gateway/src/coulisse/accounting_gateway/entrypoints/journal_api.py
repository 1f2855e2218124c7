"""HTTP routes of journal entries: list, read, manual entry, reversal."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from coulisse.platform.api import IsoDate, PageQuery
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import PostManualEntry, ReverseEntry
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas import JournalEntryCreate, JournalEntryRead, ReversalCreate

router = APIRouter(prefix="/v1/journal-entries", tags=["journal entries"])


@router.get("", response_model=Page[JournalEntryRead], summary="List journal entries")
async def list_entries(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    journal: Annotated[str | None, Query(max_length=6)] = None,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
    account: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,12}$", description="account prefix")
    ] = None,
    source_event_id: UUID | None = None,
) -> Page[JournalEntryRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.list_entries(
            uow.session,
            journal=journal,
            date_from=date_from,
            date_to=date_to,
            account=account,
            source_event_id=source_event_id,
            page=page,
        )
        letters = await queries.letters_of(uow.session, found)
    return Page[JournalEntryRead](
        items=[JournalEntryRead.of(entry, letters) for entry in found], next_cursor=next_cursor
    )


@router.get(
    "/{entry_id}",
    response_model=JournalEntryRead,
    summary="Read a journal entry",
    responses=problems((404, "no such journal entry")),
)
async def get_entry(entry_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> JournalEntryRead:
    async with uow_factory() as uow:
        entry = await queries.get_entry(uow.session, entry_id)
        if entry is None:
            raise NotFound(f"no journal entry {entry_id}")
        letters = await queries.letters_of(uow.session, [entry])
    return JournalEntryRead.of(entry, letters)


@router.post(
    "",
    status_code=201,
    response_model=JournalEntryRead,
    summary="Post a manual entry (must balance; flagged manual)",
    responses=problems((409, "the entry's month is closed")),
)
async def post_manual_entry(
    body: JournalEntryCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = PostManualEntry(
        journal_code=body.journal_code,
        entry_date=body.entry_date,
        label=body.label,
        piece_ref=body.piece_ref,
        lines=tuple(line.to_line(body.label) for line in body.lines),
    )
    return await commands.create(
        handlers.post_manual_entry, command, render=JournalEntryRead.of, key=key
    )


@router.post(
    "/{entry_id}/reversal",
    status_code=201,
    response_model=JournalEntryRead,
    summary="Reverse a posted entry (the only way to cancel one)",
    responses=problems(
        (404, "no such journal entry"),
        (409, "the entry is already reversed, or the reversal's month is closed"),
    ),
)
async def reverse_entry(
    entry_id: UUID,
    _: WriteScope,
    commands: CommandsDep,
    key: IdempotencyKeyDep,
    body: ReversalCreate | None = None,
) -> Response:
    body = body or ReversalCreate()
    command = ReverseEntry(entry_id=entry_id, entry_date=body.entry_date, label=body.label)
    return await commands.create(
        handlers.reverse_entry, command, render=JournalEntryRead.of, key=key
    )
