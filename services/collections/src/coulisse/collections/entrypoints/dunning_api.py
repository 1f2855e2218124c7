"""HTTP routes of dunning: the service's default policy, runs and what a run did."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import PutDefaultPolicy, RunDunning
from ..domain.policy import DEFAULT_POLICY
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.policy import PolicyIn, PolicyRead
from .schemas.runs import RunCreate, RunRead

router = APIRouter(prefix="/v1/dunning", tags=["dunning"])


@router.get("/policy", response_model=PolicyRead, summary="The default dunning policy")
async def get_policy(_: ReadScope, uow_factory: UowFactoryDep) -> PolicyRead:
    async with uow_factory() as uow:
        stored = await uow.policy.get()
    return PolicyRead.of(stored or DEFAULT_POLICY, shipped=stored is None)


@router.put("/policy", response_model=PolicyRead, summary="Replace the default dunning policy")
async def put_policy(body: PolicyIn, _: WriteScope, commands: CommandsDep) -> PolicyRead:
    policy = await commands.run(handlers.put_default_policy, PutDefaultPolicy(body.to_input()))
    return PolicyRead.of(policy)


@router.post(
    "/runs",
    status_code=201,
    response_model=RunRead,
    summary="Run dunning as of a date, or preview it (dry run: 200, nothing recorded)",
    responses={
        200: {"model": RunRead, "description": "a dry run: what the run would do"},
        **problems(
            (
                409,
                "a run dated after this one was already recorded (`last_run_on`), or no "
                "reference rate covers a charge the run would assess",
            )
        ),
    },
)
async def run_dunning(
    body: RunCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = RunDunning(as_of=body.as_of, dry_run=body.dry_run)
    if body.dry_run:
        preview = await commands.run(handlers.run, command)
        return Response(
            RunRead.of(preview).model_dump_json(), status_code=200, media_type="application/json"
        )
    return await commands.create(handlers.run, command, render=RunRead.of, key=key)


@router.get(
    "/runs/{run_id}",
    response_model=RunRead,
    summary="A run: its notices and fees",
    responses=problems((404, "no such run")),
)
async def get_run(run_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> RunRead:
    async with uow_factory() as uow:
        found = await uow.runs.get(run_id)
        deliveries = await uow.deliveries.states_of(
            n.notice_id for n in (found.notices if found is not None else [])
        )
    if found is None:
        raise NotFound(f"no dunning run {run_id}")
    return RunRead.of(found, deliveries)
