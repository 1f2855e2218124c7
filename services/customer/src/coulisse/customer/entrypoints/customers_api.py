"""HTTP routes of customers: register, read, search, update, erase."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response

from coulisse.platform.api import PageQuery
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems
from coulisse.platform.pagination import Page

from ..application import handlers, queries
from ..application.commands import EraseCustomer, OpenRequest, RegisterCustomer, UpdateCustomer
from .deps import ClockDep, CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas import (
    CustomerCreate,
    CustomerPatch,
    CustomerRead,
    ErasureAccepted,
    RequestCreate,
    RequestRead,
)

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.post("", status_code=201, response_model=CustomerRead, summary="Register a customer")
async def register_customer(
    body: CustomerCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = RegisterCustomer(kind=body.kind, profile=body.to_profile())
    return await commands.create(
        handlers.register_customer, command, render=CustomerRead.of, key=key
    )


@router.get(
    "",
    response_model=Page[CustomerRead],
    summary="Search customers by name, email or account number",
)
async def search_customers(
    _: ReadScope,
    uow_factory: UowFactoryDep,
    page: PageQuery,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[CustomerRead]:
    async with uow_factory() as uow:
        found, next_cursor = await queries.search_customers(uow.session, q=q, page=page)
    return Page[CustomerRead](items=[CustomerRead.of(c) for c in found], next_cursor=next_cursor)


@router.get(
    "/{customer_id}",
    response_model=CustomerRead,
    summary="Read a customer",
    responses=problems((404, "no such customer")),
)
async def get_customer(customer_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> CustomerRead:
    async with uow_factory() as uow:
        customer = await uow.customers.get(customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return CustomerRead.of(customer)


@router.patch(
    "/{customer_id}",
    response_model=CustomerRead,
    summary="Update a customer's profile",
    responses=problems(
        (404, "no such customer"),
        (409, "the customer has been erased, or was changed meanwhile (read it again)"),
    ),
)
async def update_customer(
    customer_id: UUID, body: CustomerPatch, _: WriteScope, commands: CommandsDep
) -> CustomerRead:
    customer = await commands.run(
        handlers.update_customer, UpdateCustomer(customer_id, body.changes())
    )
    return CustomerRead.of(customer)


@router.post(
    "/{customer_id}/erasure",
    status_code=202,
    response_model=ErasureAccepted,
    summary="Erase a customer's personal data (GDPR)",
    responses=problems(
        (404, "no such customer"),
        (409, "the customer is already erased, or was changed meanwhile (read it again)"),
    ),
)
async def erase_customer(
    customer_id: UUID, _: WriteScope, commands: CommandsDep
) -> ErasureAccepted:
    customer = await commands.run(handlers.erase_customer, EraseCustomer(customer_id))
    return ErasureAccepted(
        customer_id=customer.id,
        account_number=customer.account_number,
        status=customer.status,
        erased_at=customer.erased_at,
    )


@router.post(
    "/{customer_id}/requests",
    status_code=201,
    response_model=RequestRead,
    summary="Open a customer request",
    responses=problems((404, "no such customer"), (409, "the customer has been erased")),
)
async def open_request(
    customer_id: UUID,
    body: RequestCreate,
    _: WriteScope,
    commands: CommandsDep,
    key: IdempotencyKeyDep,
    clock: ClockDep,
) -> Response:
    command = OpenRequest(
        customer_id=customer_id,
        category=body.category,
        subject=body.subject,
        description=body.description,
        invoice_id=body.invoice_id,
        channel=body.channel,
    )
    return await commands.create(
        handlers.open_request,
        command,
        render=lambda request: RequestRead.of(request, clock.now()),
        key=key,
    )
