"""Group commit: commands that serialize on one row share one transaction.

A command that takes a gapless number locks the series' counter row until it commits: every
other issuer of the series waits for its last statements and for its commit's flush to disk. In
a busy process each of those awaits also waits its turn on the event loop, behind the other
requests' work, so the row stays locked far longer than the database needs (the benchmark reports
it as the counter wait).

Here the commands of one group (an HTTP route, say) that arrive while a transaction is being
written wait for the next one, and each runs in a savepoint of it, in its own request's context
(its trace, its actor), and writes its events' outbox rows there: a command refused by a domain
rule rolls back to its savepoint and leaves the others in. The transaction commits once for all
of them (with one `pg_notify` to the relay), so the row is locked and the log flushed once per
group.

Anything else that goes wrong (an integrity error, a lost connection, a failed commit) sends the
commands it touched back to run alone, each in its own transaction with the usual retries: the
group is a shortcut to the same effects, never a second way of producing them.

A command that ran in a group is committed with it even if its client went away meanwhile, as if
the answer had been lost on the way: an `Idempotency-Key` replays it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from opentelemetry import trace
from opentelemetry.trace import Link, SpanContext

from coulisse.platform.domain import DomainError
from coulisse.platform.errors import ProblemError
from coulisse.platform.uow import UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
R = TypeVar("R")

MAX_GROUP = 64
"""Commands in one transaction at most: the row stays locked while they all run."""

REFUSALS: tuple[type[Exception], ...] = (DomainError, ProblemError)
"""What a command answers with instead of an effect: given back to its caller as it is."""

_tracer = trace.get_tracer(__name__)


@dataclass
class _Command:
    work: Callable[[Any], Awaitable[Any]]
    context: contextvars.Context
    answer: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommit(Generic[U]):
    """One writer task per group: it takes the commands waiting, runs them in one transaction,
    commits, answers them, and goes on while commands are waiting."""

    def __init__(
        self,
        uow_factory: Callable[[], U],
        *,
        max_group: int = MAX_GROUP,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        """`on_commit` is told how many commands each committed transaction held."""
        self._uow_factory = uow_factory
        self._max_group = max_group
        self._on_commit = on_commit
        self._waiting: list[_Command] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[U], Awaitable[R]]) -> R | None:
        """`work`'s result once its transaction committed; None when it must be run alone. A
        refusal it raised is raised here."""
        command = _Command(work, contextvars.copy_context())
        self._waiting.append(command)
        if self._writer is None or self._writer.done():
            # A context of its own: the writer serves every request, not the one that woke it.
            self._writer = asyncio.get_running_loop().create_task(
                self._write_groups(), context=contextvars.Context()
            )
        result: R | None = await asyncio.shield(command.answer)
        return result

    async def _write_groups(self) -> None:
        while self._waiting:
            group = self._waiting[: self._max_group]
            del self._waiting[: self._max_group]
            await self._write(group)

    async def _write(self, group: list[_Command]) -> None:
        done: list[tuple[_Command, Any]] = []
        alone: list[_Command] = []
        try:
            # Its own trace, linked to each command's request: the transaction is theirs.
            links = [Link(command.context.run(_current_span_context)) for command in group]
            with _tracer.start_as_current_span("group commit", links=links) as span:
                span.set_attribute("coulisse.group.commands", len(group))
                uow = self._uow_factory()
                async with uow:
                    loop = asyncio.get_running_loop()
                    for command in group:
                        # In the command's own context: its spans join its request's trace and
                        # its events carry its actor and correlation.
                        outcome = await loop.create_task(
                            _attempt(command, uow), context=command.context
                        )
                        if isinstance(outcome, _Alone):
                            alone.append(command)
                        elif isinstance(outcome, BaseException):
                            _answer(command, error=outcome)
                        else:
                            done.append((command, outcome.result))
                    await uow.commit()
        except Exception:  # the transaction is lost: every command in it runs alone
            alone.extend(command for command, _ in done)
            done = []
        if done and self._on_commit is not None:
            self._on_commit(len(done))
        for command, result in done:
            _answer(command, result=result)
        for command in alone:
            _answer(command, result=None)


class _Alone:
    """The command must run alone (anything but a refusal went wrong in the group)."""


@dataclass(frozen=True)
class _Done:
    result: Any


async def _attempt(command: _Command, uow: UnitOfWork) -> _Done | _Alone | BaseException:
    try:
        async with uow.session.begin_nested():
            result = await command.work(uow)
            await uow.write_events()
    except REFUSALS as refusal:
        uow.discard_unwritten()
        return refusal
    except Exception:  # rolled back to the savepoint: retried alone, where it gets its answer
        uow.discard_unwritten()
        return _Alone()
    return _Done(result)


def _current_span_context() -> SpanContext:
    return trace.get_current_span().get_span_context()


def _answer(command: _Command, *, result: Any = None, error: BaseException | None = None) -> None:
    if command.answer.done():
        return
    if error is not None:
        command.answer.set_exception(error)
    else:
        command.answer.set_result(result)
