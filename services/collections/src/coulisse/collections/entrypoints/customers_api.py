"""HTTP routes of a customer in collections: what they owe and where dunning stands, their own
dunning arrangement, insolvency proceedings, doubtful receivables."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from coulisse.platform.api import IsoDate
from coulisse.platform.clock import today
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.openapi import problems

from ..application import handlers, queries
from ..application.commands import ArrangeCustomerDunning, ClassifyDoubtful, RecordInsolvency
from .deps import ClockDep, CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.policy import CustomerDunningIn, CustomerDunningRead
from .schemas.receivables import (
    CustomerCollectionsRead,
    DoubtfulRead,
    InsolvencyCreate,
    InsolvencyRecordRead,
)

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.get(
    "/{customer_id}/collections",
    response_model=CustomerCollectionsRead,
    summary="What a customer owes, where dunning of each invoice stands, what comes next",
    responses=problems((404, "collections knows no such customer (yet)")),
)
async def get_collections(
    customer_id: UUID,
    _: ReadScope,
    uow_factory: UowFactoryDep,
    clock: ClockDep,
    as_of: IsoDate | None = Query(None, description="Default: today."),
) -> CustomerCollectionsRead:
    async with uow_factory() as uow:
        found = await queries.customer_collections(uow, customer_id, as_of or today(clock))
    return CustomerCollectionsRead.of(found)


@router.put(
    "/{customer_id}/dunning",
    response_model=CustomerDunningRead,
    summary="Give a customer their own policy or an exclusion from dunning (or remove them)",
    responses=problems(
        (404, "collections knows no such customer (yet)"),
        (409, "the customer was changed meanwhile: read it again and retry"),
    ),
)
async def arrange_dunning(
    customer_id: UUID, body: CustomerDunningIn, _: WriteScope, commands: CommandsDep
) -> CustomerDunningRead:
    command = ArrangeCustomerDunning(
        customer_id=customer_id,
        levels=None if body.policy is None else body.policy.to_input(),
        exclusion=None if body.exclusion is None else body.exclusion.to_input(),
    )
    return CustomerDunningRead.of(await commands.run(handlers.arrange_customer_dunning, command))


@router.post(
    "/{customer_id}/insolvency",
    status_code=201,
    response_model=InsolvencyRecordRead,
    summary="Record insolvency proceedings: dunning and charges stop, overdue becomes doubtful",
    responses=problems(
        (404, "collections knows no such customer (yet)"),
        (409, "proceedings were already recorded for this customer"),
    ),
)
async def record_insolvency(
    customer_id: UUID,
    body: InsolvencyCreate,
    _: WriteScope,
    commands: CommandsDep,
    key: IdempotencyKeyDep,
) -> Response:
    command = RecordInsolvency(customer_id=customer_id, kind=body.kind, opened_on=body.opened_on)
    return await commands.create(
        handlers.record_insolvency, command, render=InsolvencyRecordRead.of, key=key
    )


@router.post(
    "/{customer_id}/doubtful",
    status_code=201,
    response_model=DoubtfulRead,
    summary="Classify the customer's overdue receivables as doubtful",
    responses=problems(
        (404, "collections knows no such customer (yet)"),
        (409, "no overdue receivable is left to classify, or the account is not known yet"),
    ),
)
async def classify_doubtful(
    customer_id: UUID, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    return await commands.create(
        handlers.classify_doubtful,
        ClassifyDoubtful(customer_id),
        render=DoubtfulRead.of_classification,
        key=key,
    )
