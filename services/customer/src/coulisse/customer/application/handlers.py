"""Command handlers. Each runs inside one unit of work that the caller commits."""

from __future__ import annotations

from functools import partial

from coulisse.platform.crypto import DataKey
from coulisse.platform.domain import Conflict, NotFound
from coulisse.platform.personal_data import seal_personal

from ..adapters.repositories import forget_stored_responses
from ..adapters.uow import CustomerUnitOfWork
from ..domain.customers import Customer
from ..domain.requests import CustomerRequest
from .commands import (
    ChangeRequestStatus,
    EraseCustomer,
    OpenRequest,
    RegisterCustomer,
    UpdateCustomer,
)


async def _customer(uow: CustomerUnitOfWork, customer_id: object) -> Customer:
    customer = await uow.customers.get(customer_id)  # type: ignore[arg-type]
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return customer


async def register_customer(command: RegisterCustomer, uow: CustomerUnitOfWork) -> Customer:
    sequence = await uow.customers.next_account_sequence()
    key = DataKey.generate()
    customer = Customer.register(
        account_sequence=sequence,
        kind=command.kind,
        profile=command.profile,
        now=uow.clock.now(),
        seal=partial(seal_personal, key),
    )
    await uow.customers.add(customer)
    # In the registering transaction: the event never leaves without the key that opens it.
    await uow.personal_keys.add(customer.id, key, uow.clock.now())
    return customer


async def update_customer(command: UpdateCustomer, uow: CustomerUnitOfWork) -> Customer:
    customer = await _customer(uow, command.customer_id)
    # A refused update rolls back, so an erased customer never gets a key back here.
    key = await uow.personal_keys.get_or_create(customer.id, uow.clock.now())
    if customer.update(command.changes, now=uow.clock.now(), seal=partial(seal_personal, key)):
        await uow.customers.save(customer)
    return customer


async def erase_customer(command: EraseCustomer, uow: CustomerUnitOfWork) -> Customer:
    customer = await _customer(uow, command.customer_id)
    customer.erase(now=uow.clock.now())
    await uow.customers.save(customer)
    # Crypto-shredding, in the erasing transaction: every copy of the customer's sealed fields
    # (topics, replays, dead letters) becomes unreadable when this commits.
    await uow.personal_keys.destroy(customer.id)
    await forget_stored_responses(uow.session, customer.id)
    for request in await uow.requests.for_customer(customer.id):
        request.forget_personal_data()
        await uow.requests.save(request)
    return customer


async def open_request(command: OpenRequest, uow: CustomerUnitOfWork) -> CustomerRequest:
    customer = await _customer(uow, command.customer_id)
    if customer.status == "erased":
        raise Conflict("this customer has been erased; no new request can be opened")
    request = CustomerRequest.open(
        customer_id=customer.id,
        category=command.category,
        subject=command.subject,
        description=command.description,
        invoice_id=command.invoice_id,
        channel=command.channel,
        now=uow.clock.now(),
    )
    await uow.requests.add(request)
    return request


async def change_request_status(
    command: ChangeRequestStatus, uow: CustomerUnitOfWork
) -> CustomerRequest:
    request = await uow.requests.get(command.request_id)
    if request is None:
        raise NotFound(f"no customer request {command.request_id}")
    request.change_status(command.status, command.resolution, now=uow.clock.now())
    await uow.requests.save(request)
    return request
