"""Runs a command handler inside one unit of work, optionally behind an `Idempotency-Key`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from coulisse.platform import idempotency
from coulisse.platform.db import retry_conflicts
from coulisse.platform.errors import ProblemError
from coulisse.platform.group_commit import GroupCommit
from coulisse.platform.openapi import Needs, needs
from coulisse.platform.uow import UnitOfWork

C = TypeVar("C")
R = TypeVar("R")
U = TypeVar("U", bound=UnitOfWork)

Handler = Callable[[C, U], Awaitable[R]]


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    fingerprint: str


@needs(Needs.IDEMPOTENCY_KEY)
async def _idempotency_key(
    request: Request,
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=idempotency.MAX_KEY_LENGTH)
    ] = None,
) -> IdempotencyKey | None:
    if key is None:
        return None
    if not key.strip():
        raise ProblemError(
            422,
            "Invalid input",
            "Idempotency-Key must not be empty",
            errors=[{"field": "header.Idempotency-Key", "message": "empty"}],
        )
    body = await request.body()
    return IdempotencyKey(
        key, idempotency.request_fingerprint(request.method, request.url.path, body)
    )


IdempotencyKeyDep = Annotated[IdempotencyKey | None, Depends(_idempotency_key)]


def _replay(stored: idempotency.StoredResponse, key: IdempotencyKey) -> Response:
    if stored.request_hash != key.fingerprint:
        raise ProblemError(
            422,
            "Idempotency key reused",
            "this Idempotency-Key was already used with a different request body",
            errors=[{"field": "header.Idempotency-Key", "message": "reused with a different body"}],
        )
    return Response(
        stored.body,
        status_code=stored.status_code,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


class CommandRunner(Generic[U]):
    """`grouped`: creating commands given a `group` share transactions (see `group_commit`);
    on PostgreSQL only, where a savepoint is cheap and the row locks are real."""

    def __init__(self, uow_factory: Callable[[], U], *, grouped: bool = False) -> None:
        self.uow_factory = uow_factory
        self.grouped = grouped
        self._groups: dict[str, GroupCommit[U]] = {}
        self.on_group_commit: Callable[[str, int], None] | None = None
        """Told each group's name and how many commands its transaction committed (metrics)."""

    def _group(self, name: str) -> GroupCommit[U]:
        if name not in self._groups:

            def committed(commands: int) -> None:
                if self.on_group_commit is not None:
                    self.on_group_commit(name, commands)

            self._groups[name] = GroupCommit(self.uow_factory, on_commit=committed)
        return self._groups[name]

    async def run(self, handler: Callable[[C, U], Awaitable[R]], command: C) -> R:
        async for attempt in retry_conflicts():
            with attempt:
                uow = self.uow_factory()
                async with uow:
                    result = await handler(command, uow)
                    await uow.commit()
        return result

    async def create(
        self,
        handler: Callable[[C, U], Awaitable[R]],
        command: C,
        *,
        render: Callable[[R], BaseModel],
        key: IdempotencyKey | None,
        status_code: int = 201,
        group: str | None = None,
    ) -> Response:
        """A creating command: 201 with the rendered resource, replayed for the same key.

        `group`: commands that serialize on one row (a series' counter) and may share a
        transaction; one that cannot runs alone below."""
        if group is not None and self.grouped:
            answer = await self._group(group).run(
                lambda uow: self._create_in(uow, handler, command, render, key, status_code)
            )
            if answer is not None:
                return answer
        if key is None:
            result = await self.run(handler, command)
            return _json(render(result), status_code)
        for _ in range(2):
            answer = await self._create_once(handler, command, render, key, status_code)
            if answer is not None:
                return answer
        raise ProblemError(
            409,
            "Conflict with the current state",
            "a request with this Idempotency-Key is in progress",
        )

    async def _create_once(
        self,
        handler: Callable[[C, U], Awaitable[R]],
        command: C,
        render: Callable[[R], BaseModel],
        key: IdempotencyKey,
        status_code: int,
    ) -> Response | None:
        """One try under the key; None when another request with it committed first."""
        async for attempt in retry_conflicts():
            with attempt:
                uow = self.uow_factory()
                async with uow:
                    response = await self._create_in(
                        uow, handler, command, render, key, status_code
                    )
                    try:
                        await uow.commit()
                    except IntegrityError:
                        return None  # the other request's answer is replayed next time
                    return response
        raise AssertionError("retry_conflicts() reraises its last error")

    @staticmethod
    async def _create_in(
        uow: U,
        handler: Callable[[C, U], Awaitable[R]],
        command: C,
        render: Callable[[R], BaseModel],
        key: IdempotencyKey | None,
        status_code: int,
    ) -> Response:
        """The command's effects in `uow` (not committed) and its answer: the stored one when
        its key was used before."""
        if key is not None:
            stored = await idempotency.find(uow.session, key.key, uow.clock.now())
            if stored is not None:
                return _replay(stored, key)
        response = _json(render(await handler(command, uow)), status_code)
        if key is not None:
            await idempotency.store(
                uow.session,
                key.key,
                idempotency.StoredResponse(key.fingerprint, status_code, bytes(response.body)),
                uow.clock.now(),
            )
        return response


def _json(model: BaseModel, status_code: int) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
