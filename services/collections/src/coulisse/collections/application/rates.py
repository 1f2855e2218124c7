"""The late-payment rates in force: the reference rates shipped with the service plus those
entered since, and the rate that applies to a customer (their contract's, or the default)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ..adapters.reference_rates import shipped_reference_rates
from ..adapters.uow import CollectionsUnitOfWork
from ..domain.charges import InterestRate, InterestRateTable, NoInterestRate
from ..domain.rates import ReferenceRates


async def reference_rates(uow: CollectionsUnitOfWork) -> ReferenceRates:
    rates = ReferenceRates(shipped_reference_rates())
    for entered in await uow.reference_rates.entered():
        rates.add(entered)
    return rates


async def default_penalty_rates(uow: CollectionsUnitOfWork) -> InterestRateTable:
    return (await reference_rates(uow)).penalty_table()


async def penalty_rate_on(
    uow: CollectionsUnitOfWork, customer_id: UUID, day: date
) -> InterestRate | None:
    """The annual rate late interest runs at for `customer_id` on `day`; None when no rate of
    the table covers that day yet."""
    default = await default_penalty_rates(uow)
    customer = await uow.customers.get(customer_id)
    table = default if customer is None else customer.penalty_rates(default)
    try:
        return table.rate_on(day)
    except NoInterestRate:
        return None
