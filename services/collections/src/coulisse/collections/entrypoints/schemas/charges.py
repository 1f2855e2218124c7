"""Bodies of late-payment charges: waivers, reference rates and a customer's contract rate."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from coulisse.contracts.collections import FeeKind
from coulisse.contracts.money import DecimalString
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel

from ...application.handlers import RateEntered
from ...domain.charges import InterestRate, InterestRateTable
from ...domain.customers import CollectionsCustomer
from ...domain.rates import ReferenceRate, ReferenceRateKind, ReferenceRates
from ...domain.waivers import ChargeWaiver


class WaiverCreate(RequestModel):
    invoice_id: UUID
    kind: FeeKind = Field(description="The charge the runs will not assess on this invoice.")
    reason: str = Field(min_length=1, max_length=500)


class WaiverRead(ResponseModel):
    id: UUID
    waiver_id: UUID
    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    kind: FeeKind
    reason: str
    waived_on: date

    @classmethod
    def of(cls, waiver: ChargeWaiver) -> WaiverRead:
        return cls(
            id=waiver.waiver_id,
            waiver_id=waiver.waiver_id,
            customer_id=waiver.customer_id,
            invoice_id=waiver.invoice_id,
            invoice_number=waiver.invoice_number,
            kind=waiver.kind,
            reason=waiver.reason,
            waived_on=waiver.waived_on,
        )


class ReferenceRateIn(RequestModel):
    rate: DecimalString = Field(description="Percent a year, as published (two decimals).")
    source: str = Field(min_length=1, max_length=300, description="Where it was published.")


class ReferenceRateRead(ResponseModel):
    kind: ReferenceRateKind
    effective_on: date = Field(description="1 January or 1 July: the rate holds a half-year.")
    rate: DecimalString
    source: str

    @classmethod
    def of(cls, rate: ReferenceRate) -> ReferenceRateRead:
        return cls(
            kind=rate.kind, effective_on=rate.effective_on, rate=rate.rate, source=rate.source
        )

    @classmethod
    def of_entry(cls, entered: RateEntered) -> ReferenceRateRead:
        return cls.of(entered.rate)


class PenaltyRateRead(ResponseModel):
    """A period of the default late-payment rate (ECB rate plus 10 points)."""

    first_day: date
    last_day: date | None = Field(description="None: until a later rate takes effect.")
    rate: DecimalString
    source: str

    @classmethod
    def of(cls, table: InterestRateTable, rate: InterestRate) -> PenaltyRateRead:
        last = table.coverage(rate).last
        return cls(
            first_day=rate.effective_on,
            last_day=None if last == date.max else last,
            rate=rate.rate,
            source=rate.source,
        )


class ReferenceRatesRead(ResponseModel):
    ecb_main_refinancing: list[ReferenceRateRead]
    legal_interest: list[ReferenceRateRead] = Field(
        description="The legal interest rate for creditors other than consumers."
    )
    default_penalty_rates: list[PenaltyRateRead] = Field(
        description="What late interest runs at when the contract sets no rate; a day none of "
        "them covers stops a run that would charge it (409) until its rate is entered."
    )

    @classmethod
    def of(cls, rates: ReferenceRates) -> ReferenceRatesRead:
        table = rates.penalty_table()
        return cls(
            ecb_main_refinancing=[
                ReferenceRateRead.of(r) for r in rates.of_kind("ecb_main_refinancing")
            ],
            legal_interest=[ReferenceRateRead.of(r) for r in rates.of_kind("legal_interest")],
            default_penalty_rates=[PenaltyRateRead.of(table, r) for r in table.rates],
        )


class ContractRateIn(RequestModel):
    rate: DecimalString = Field(
        description="Percent a year: at least three times the legal interest rate in force on "
        "`effective_on`."
    )
    effective_on: IsoDate | None = Field(None, description="Default: today.")
    reference: str = Field(
        min_length=1, max_length=200, description="The contract or terms that set it."
    )


class ContractRateRead(ResponseModel):
    customer_id: UUID
    rate: DecimalString | None = Field(description="None: the default rate applies.")
    effective_on: date | None
    reference: str | None

    @classmethod
    def of(cls, customer: CollectionsCustomer) -> ContractRateRead:
        contract = customer.contract_rate
        return cls(
            customer_id=customer.customer_id,
            rate=contract.rate if contract else None,
            effective_on=contract.effective_on if contract else None,
            reference=contract.reference if contract else None,
        )
