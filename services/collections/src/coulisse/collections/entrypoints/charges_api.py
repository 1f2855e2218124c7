"""HTTP routes of late-payment charges: waive one before it is assessed, the reference rates the
default rate comes from, and a customer's contract rate."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from coulisse.platform.api import IsoDate
from coulisse.platform.commands import IdempotencyKeyDep
from coulisse.platform.domain import NotFound
from coulisse.platform.openapi import problems

from ..application import handlers
from ..application.commands import AgreeContractRate, EnterReferenceRate, WaiveCharge
from ..application.rates import reference_rates
from ..domain.rates import ReferenceRateKind
from .deps import CommandsDep, ReadScope, UowFactoryDep, WriteScope
from .schemas.charges import (
    ContractRateIn,
    ContractRateRead,
    ReferenceRateIn,
    ReferenceRateRead,
    ReferenceRatesRead,
    WaiverCreate,
    WaiverRead,
)

router = APIRouter(prefix="/v1", tags=["charges"])


@router.post(
    "/charge-waivers",
    status_code=201,
    response_model=WaiverRead,
    responses=problems(
        (404, "collections knows no such invoice"),
        (409, "already waived, already assessed, or the invoice is settled or a fee invoice"),
    ),
    summary="Waive a late-payment charge on an invoice before a run assesses it",
)
async def waive_charge(
    body: WaiverCreate, _: WriteScope, commands: CommandsDep, key: IdempotencyKeyDep
) -> Response:
    command = WaiveCharge(invoice_id=body.invoice_id, kind=body.kind, reason=body.reason)
    return await commands.create(handlers.waive_charge, command, render=WaiverRead.of, key=key)


@router.get(
    "/charge-waivers/{waiver_id}",
    response_model=WaiverRead,
    responses=problems(404),
    summary="Read a waiver",
)
async def get_waiver(waiver_id: UUID, _: ReadScope, uow_factory: UowFactoryDep) -> WaiverRead:
    async with uow_factory() as uow:
        found = await uow.waivers.get(waiver_id)
    if found is None:
        raise NotFound(f"no charge waiver {waiver_id}")
    return WaiverRead.of(found)


@router.get(
    "/reference-rates",
    response_model=ReferenceRatesRead,
    summary="The reference rates and the default late-payment rate they give",
)
async def list_reference_rates(_: ReadScope, uow_factory: UowFactoryDep) -> ReferenceRatesRead:
    async with uow_factory() as uow:
        rates = await reference_rates(uow)
    return ReferenceRatesRead.of(rates)


@router.put(
    "/reference-rates/{kind}/{effective_on}",
    response_model=ReferenceRateRead,
    responses={
        201: {"model": ReferenceRateRead, "description": "Entered."},
        **problems((409, "another rate is already known for that half-year")),
    },
    summary="Enter a half-year's published rate (201; 200 when the same rate was already known)",
)
async def enter_reference_rate(
    kind: ReferenceRateKind,
    effective_on: IsoDate,
    body: ReferenceRateIn,
    _: WriteScope,
    commands: CommandsDep,
) -> Response:
    command = EnterReferenceRate(
        kind=kind, effective_on=effective_on, rate=body.rate, source=body.source
    )
    entered = await commands.run(handlers.enter_reference_rate, command)
    return JSONResponse(
        ReferenceRateRead.of_entry(entered).model_dump(mode="json"),
        status_code=201 if entered.created else 200,
    )


@router.put(
    "/customers/{customer_id}/late-payment-rate",
    response_model=ContractRateRead,
    tags=["customers"],
    responses=problems(
        (404, "collections knows no such customer"),
        (409, "a consumer, or the legal interest rate of that half-year is not entered"),
    ),
    summary="Set the late-payment rate of the customer's contract",
)
async def agree_contract_rate(
    customer_id: UUID, body: ContractRateIn, _: WriteScope, commands: CommandsDep
) -> ContractRateRead:
    command = AgreeContractRate(
        customer_id=customer_id,
        rate=body.rate,
        effective_on=body.effective_on,
        reference=body.reference,
    )
    return ContractRateRead.of(await commands.run(handlers.agree_contract_rate, command))


@router.delete(
    "/customers/{customer_id}/late-payment-rate",
    response_model=ContractRateRead,
    tags=["customers"],
    responses=problems((404, "collections knows no such customer")),
    summary="Remove the customer's contract rate: the default rate applies again",
)
async def remove_contract_rate(
    customer_id: UUID, _: WriteScope, commands: CommandsDep
) -> ContractRateRead:
    command = AgreeContractRate(customer_id=customer_id, rate=None)
    return ContractRateRead.of(await commands.run(handlers.agree_contract_rate, command))
