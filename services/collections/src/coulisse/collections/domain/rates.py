"""The reference rates late-payment charges are computed from, and a customer's contract rate.

Two published rates matter (Code de commerce L441-10), each fixed for a half-year:
- the ECB main refinancing rate in force on 1 January or 1 July: plus 10 points, it is the
  penalty rate when the contract says nothing;
- the legal interest rate (taux de l'intérêt légal, the rate "for all other cases", i.e. a
  professional creditor): a contract rate may not be below three times it.
They are data, dated and sourced: a release ships the known rows, and an operator enters a new
half-year's rate when it is published, before a run needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from coulisse.platform.domain import Conflict, InvalidInput

from .calendar import ONE_DAY
from .charges import InterestRate, InterestRateTable, french_penalty_rates

ReferenceRateKind = Literal["ecb_main_refinancing", "legal_interest"]
REFERENCE_RATE_KINDS: tuple[ReferenceRateKind, ...] = ("ecb_main_refinancing", "legal_interest")
CONTRACT_RATE_FLOOR = Decimal(3)
"""A contract rate is at least three times the legal interest rate (L441-10)."""
MAX_RATE = Decimal(100)
"""Above 100 % a year, a rate is a typing mistake, not a contract."""
RATE_STEP = Decimal("0.01")
"""Rates are published with two decimals."""


def _check_rate(rate: Decimal, *, minimum_excluded: bool) -> None:
    finite = rate.is_finite()
    low_ok = finite and (rate > 0 if minimum_excluded else rate >= 0)
    if not low_ok or rate > MAX_RATE or rate != rate.quantize(RATE_STEP):
        raise InvalidInput(
            f"a rate is a percentage {'above' if minimum_excluded else 'from'} 0 "
            f"{'and' if minimum_excluded else 'to'} at most {MAX_RATE}, with at most two decimals",
            field="rate",
        )


class NoLegalRate(Conflict):
    """The legal interest rate of a half-year is not entered yet."""

    title = "No legal interest rate"


@dataclass(frozen=True)
class ReferenceRate:
    """A published rate for the half-year starting on `effective_on` (1 January or 1 July)."""

    kind: ReferenceRateKind
    effective_on: date
    rate: Decimal
    source: str

    def __post_init__(self) -> None:
        if self.kind not in REFERENCE_RATE_KINDS:
            raise InvalidInput(
                f"unknown reference rate {self.kind!r}; known: {', '.join(REFERENCE_RATE_KINDS)}",
                field="kind",
            )
        if (self.effective_on.month, self.effective_on.day) not in ((1, 1), (7, 1)):
            raise InvalidInput(
                f"a reference rate applies from 1 January or 1 July, not {self.effective_on}",
                field="effective_on",
            )
        _check_rate(self.rate, minimum_excluded=False)
        if not self.source.strip():
            raise InvalidInput("say where the rate was published", field="source")


class ReferenceRates:
    """Every reference rate known, at most one per kind and half-year."""

    def __init__(self, rates: Iterable[ReferenceRate] = ()) -> None:
        self._rates: dict[tuple[ReferenceRateKind, date], ReferenceRate] = {}
        for rate in rates:
            self.add(rate)

    def add(self, rate: ReferenceRate) -> bool:
        """Adds `rate`; False when the same rate was already there. A different rate for the same
        half-year is refused: charges may have been computed from the one entered first."""
        known = self._rates.get((rate.kind, rate.effective_on))
        if known is not None:
            if known.rate != rate.rate:
                raise Conflict(
                    f"the {rate.kind.replace('_', ' ')} rate from {rate.effective_on} is already "
                    f"{known.rate} % ({known.source})",
                    field="rate",
                )
            return False
        self._rates[(rate.kind, rate.effective_on)] = rate
        return True

    def get(self, kind: ReferenceRateKind, effective_on: date) -> ReferenceRate | None:
        return self._rates.get((kind, effective_on))

    def of_kind(self, kind: ReferenceRateKind) -> list[ReferenceRate]:
        return sorted(
            (r for r in self._rates.values() if r.kind == kind), key=lambda r: r.effective_on
        )

    def penalty_table(self) -> InterestRateTable:
        """The default late-payment rates: each half-year's ECB rate plus 10 points."""
        return french_penalty_rates(
            [(r.effective_on, r.rate, r.source) for r in self.of_kind("ecb_main_refinancing")]
        )

    def legal_rate_on(self, day: date) -> ReferenceRate:
        start = date(day.year, 1 if day.month <= 6 else 7, 1)
        found = self.get("legal_interest", start)
        if found is None:
            raise NoLegalRate(
                f"the legal interest rate from {start} is not entered: add it before agreeing "
                f"a contract rate from {day}",
                field="effective_on",
            )
        return found


@dataclass(frozen=True)
class ContractRate:
    """A customer's own late-payment rate, agreed in their contract, from `effective_on`."""

    rate: Decimal
    effective_on: date
    reference: str
    """Where it was agreed: the contract or terms and conditions, as the customer signed them."""

    @classmethod
    def agree(
        cls, *, rate: Decimal, effective_on: date, reference: str, rates: ReferenceRates
    ) -> ContractRate:
        _check_rate(rate, minimum_excluded=True)
        if not reference.strip():
            raise InvalidInput("name the contract that sets the rate", field="reference")
        legal = rates.legal_rate_on(effective_on)
        floor = CONTRACT_RATE_FLOOR * legal.rate
        if rate < floor:
            raise InvalidInput(
                f"{rate} % is below three times the legal interest rate in force on "
                f"{effective_on} ({legal.rate} %, {legal.source}): at least {floor} %",
                field="rate",
            )
        return cls(rate=rate, effective_on=effective_on, reference=reference.strip())

    def over(self, default: InterestRateTable) -> InterestRateTable:
        """The customer's table: the default rates before `effective_on`, this rate from it on."""
        kept: list[InterestRate] = []
        for rate in default.rates:
            if rate.effective_on >= self.effective_on:
                continue
            last = default.coverage(rate).last
            ends_on = min(last, self.effective_on - ONE_DAY)
            kept.append(
                InterestRate(
                    effective_on=rate.effective_on,
                    rate=rate.rate,
                    source=rate.source,
                    ends_on=ends_on,
                )
            )
        kept.append(
            InterestRate(
                effective_on=self.effective_on,
                rate=self.rate,
                source=f"contract rate ({self.reference})",
            )
        )
        return InterestRateTable(kept)
