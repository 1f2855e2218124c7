"""Optimistic concurrency of `Repository.save_versioned`, on SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from coulisse.platform.db import session_factory
from coulisse.platform.domain import Aggregate, Conflict
from coulisse.platform.repository import Repository

metadata = sa.MetaData()
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("text", sa.String(50), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
)


@dataclass
class Note(Aggregate):
    id: UUID
    text: str
    version: int = 1

    def write(self, text: str) -> None:
        self.text = text
        self.version += 1


class Notes(Repository):
    async def get(self, note_id: UUID) -> Note:
        row = (await self.session.execute(sa.select(notes).where(notes.c.id == note_id))).one()
        note = Note(row.id, row.text, row.version)
        self.track_versioned(note)
        return note

    async def save(self, note: Note, **what: Any) -> None:
        values = {"text": note.text, "version": note.version}
        await self.save_versioned(notes, note, values, **what)


async def _new_note(engine: AsyncEngine) -> UUID:
    note_id = uuid4()
    async with engine.begin() as conn:
        await conn.execute(sa.insert(notes).values(id=note_id, text="a", version=1))
    return note_id


def _notes(session: AsyncSession) -> Notes:
    return Notes(session, lambda _: None)


async def test_changed_several_times_then_saved_twice_in_one_transaction(
    sqlite_engine: AsyncEngine,
) -> None:
    note_id = await _new_note(sqlite_engine)
    async with session_factory(sqlite_engine).begin() as session:
        repository = _notes(session)
        note = await repository.get(note_id)
        note.write("b")
        note.write("c")
        await repository.save(note)
        note.write("d")
        await repository.save(note)
    async with session_factory(sqlite_engine)() as session:
        assert (await _notes(session).get(note_id)).version == 4


async def test_a_row_changed_since_it_was_read_is_a_conflict(sqlite_engine: AsyncEngine) -> None:
    note_id = await _new_note(sqlite_engine)
    sessions = session_factory(sqlite_engine)
    async with sessions() as first_session, sessions() as second_session:
        first, second = _notes(first_session), _notes(second_session)
        mine, theirs = await first.get(note_id), await second.get(note_id)
        theirs.write("theirs")
        await second.save(theirs)
        await second_session.commit()
        mine.write("mine")
        with pytest.raises(Conflict) as raised:
            await first.save(mine, what="this note")
    assert raised.value.status == 409
    assert raised.value.detail == (
        "this note was changed by someone else meanwhile; read it again and retry"
    )


async def test_only_what_was_read_through_the_repository_can_be_saved(
    sqlite_engine: AsyncEngine,
) -> None:
    async with session_factory(sqlite_engine)() as session:
        with pytest.raises(LookupError):
            await _notes(session).save(Note(uuid4(), "never read"))
        with pytest.raises(TypeError):
            _notes(session).track_versioned(Aggregate())
