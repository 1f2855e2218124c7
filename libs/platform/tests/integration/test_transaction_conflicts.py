"""A deadlock on PostgreSQL costs a retry, not an error: two commands locking the same rows in
opposite orders both succeed, and a consumer would not count it against its event."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from coulisse.platform.commands import CommandRunner
from coulisse.platform.db import create_engine, is_transaction_conflict, session_factory
from coulisse.platform.inbox import is_transient
from coulisse.platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("name", sa.String(10), primary_key=True),
    sa.Column("touched", sa.Integer(), nullable=False),
)


@dataclass(frozen=True)
class Touch:
    order: tuple[str, str]


async def test_two_commands_that_deadlock_both_succeed(
    make_database: Callable[[], Awaitable[str]],
) -> None:
    engine = create_engine(await make_database())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(
                sa.insert(accounts), [{"name": "a", "touched": 0}, {"name": "b", "touched": 0}]
            )
        sessions = session_factory(engine)
        runner = CommandRunner(lambda: UnitOfWork(sessions, service="test"))
        both_hold_their_first = asyncio.Barrier(2)
        attempts: list[tuple[str, str]] = []
        conflicts: list[BaseException] = []

        async def touch(command: Touch, uow: UnitOfWork) -> None:
            attempts.append(command.order)
            first, second = command.order
            for index, name in enumerate((first, second)):
                try:
                    await uow.session.execute(
                        sa.update(accounts)
                        .where(accounts.c.name == name)
                        .values(touched=accounts.c.touched + 1)
                    )
                except sa.exc.DBAPIError as exc:
                    conflicts.append(exc)
                    raise
                if index == 0 and len(attempts) <= 2:
                    # Only the first attempts meet: each holds one row and wants the other's.
                    await both_hold_their_first.wait()

        await asyncio.gather(
            runner.run(touch, Touch(("a", "b"))), runner.run(touch, Touch(("b", "a")))
        )
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(accounts.c.name, accounts.c.touched))).all()
        touched: dict[str, int] = {row.name: row.touched for row in rows}
        assert touched == {"a": 2, "b": 2}
        assert len(attempts) == 3  # the deadlock's victim ran again
        [conflict] = conflicts
        assert is_transaction_conflict(conflict) and is_transient(conflict)
    finally:
        await engine.dispose()


def test_other_errors_are_not_conflicts() -> None:
    assert not is_transaction_conflict(ValueError("no"))
    integrity = sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert not is_transaction_conflict(integrity)
