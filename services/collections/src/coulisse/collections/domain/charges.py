"""French late-payment charges between professionals (Code de commerce L441-10 and D441-5).

- Late interest runs from the day after the due date, on what remains due, at an annual rate
  read from a table of dated rates: amount × rate × days / 365, rounded half-up to the cent once.
  When the late days span several rate periods (the default rate changes every half-year), each
  period counts its own days at its own rate.
- The recovery indemnity is a fixed €40 per invoice paid late, owed by professional customers
  only, never while they are in insolvency proceedings, never twice for one invoice.
- Both compensate a loss, they pay for no supply: no VAT on either.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from itertools import pairwise

from coulisse.contracts.customer import CustomerKind
from coulisse.contracts.money import ZERO, round_money
from coulisse.platform.domain import Conflict, InvalidInput

from .calendar import ONE_DAY, DayRange, half_year_end

RECOVERY_INDEMNITY = Decimal("40.00")
DAYS_IN_YEAR = 365
PENALTY_POINTS = Decimal("10")
"""Points added to the ECB main refinancing rate for the default late-payment rate."""


class NoInterestRate(Conflict):
    """No rate of the table covers a day on which late interest would run."""

    title = "No late-payment interest rate"


@dataclass(frozen=True)
class InterestRate:
    """An annual rate in percent, in force from `effective_on` up to and including `ends_on`
    (or until the next rate of its table takes effect, when `ends_on` is None)."""

    effective_on: date
    rate: Decimal
    source: str
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate < 0:
            raise InvalidInput(
                f"the rate in force from {self.effective_on} must be a decimal of at least 0",
                field="rate",
            )
        if not self.source.strip():
            raise InvalidInput(
                f"the rate in force from {self.effective_on} must name its source", field="source"
            )
        if self.ends_on is not None and self.ends_on < self.effective_on:
            raise InvalidInput(
                f"the rate in force from {self.effective_on} cannot end on {self.ends_on}",
                field="ends_on",
            )


class InterestRateTable:
    """Dated rates, each covering its days; a day no rate covers has no rate (never a guess)."""

    def __init__(self, rates: Iterable[InterestRate]) -> None:
        ordered = sorted(rates, key=lambda r: r.effective_on)
        if not ordered:
            raise InvalidInput("a rate table needs at least one rate", field="rates")
        for index, (before, after) in enumerate(pairwise(ordered)):
            if after.effective_on == before.effective_on:
                raise InvalidInput(
                    f"two rates take effect on {after.effective_on}", field=f"rates.{index + 1}"
                )
            if before.ends_on is not None and before.ends_on >= after.effective_on:
                raise InvalidInput(
                    f"the rate in force from {before.effective_on} ends on {before.ends_on}, "
                    f"after the next one takes effect ({after.effective_on})",
                    field=f"rates.{index}.ends_on",
                )
        self.rates: tuple[InterestRate, ...] = tuple(ordered)

    def coverage(self, rate: InterestRate) -> DayRange:
        """The days `rate` is in force (the last open-ended rate: to the end of time)."""
        index = self.rates.index(rate)
        last = rate.ends_on
        if last is None:
            last = (
                self.rates[index + 1].effective_on - ONE_DAY
                if index + 1 < len(self.rates)
                else date.max
            )
        return DayRange(rate.effective_on, last)

    def rate_on(self, day: date) -> InterestRate:
        for rate in reversed(self.rates):
            if rate.effective_on <= day:
                if day in self.coverage(rate):
                    return rate
                break
        raise NoInterestRate(
            f"no late-payment interest rate covers {day}: the table covers "
            + ", ".join(self._covered())
            + "; add the rate in force on that day before assessing interest",
            field="rates",
            day=day.isoformat(),
        )

    def split(self, days: DayRange) -> list[tuple[DayRange, InterestRate]]:
        """`days` cut where the rate changes, each piece with its rate."""
        pieces: list[tuple[DayRange, InterestRate]] = []
        day = days.first
        while day <= days.last:
            rate = self.rate_on(day)
            covered = self.coverage(rate)
            last = min(days.last, covered.last)
            pieces.append((DayRange(day, last), rate))
            if last == date.max:
                break
            day = last + ONE_DAY
        return pieces

    def _covered(self) -> list[str]:
        spans: list[DayRange] = []
        for rate in self.rates:
            span = self.coverage(rate)
            if spans and spans[-1].last + ONE_DAY == span.first:
                spans[-1] = DayRange(spans[-1].first, span.last)
            else:
                spans.append(span)
        return [f"{s.first} to {'any later day' if s.last == date.max else s.last}" for s in spans]


def french_penalty_rates(ecb_rates: Sequence[tuple[date, Decimal, str]]) -> InterestRateTable:
    """The default rate of L441-10: the ECB main refinancing rate in force on 1 January (for the
    first half-year) or 1 July (for the second), plus 10 points. Each rate covers its half-year
    only, so a half-year whose ECB rate was not entered has no rate."""
    rates = []
    for index, (starts, ecb_rate, source) in enumerate(ecb_rates):
        if (starts.month, starts.day) not in ((1, 1), (7, 1)):
            raise InvalidInput(
                f"the reference rate applies from 1 January or 1 July, not {starts}",
                field=f"rates.{index}.effective_on",
            )
        rates.append(
            InterestRate(
                effective_on=starts,
                rate=ecb_rate + PENALTY_POINTS,
                source=f"{source}, plus {PENALTY_POINTS} points (Code de commerce L441-10)",
                ends_on=half_year_end(starts),
            )
        )
    return InterestRateTable(rates)


@dataclass(frozen=True)
class InterestPeriod:
    days: DayRange
    rate: InterestRate


@dataclass(frozen=True)
class LateInterest:
    """Late interest on `base`, with the periods and rates it counts, for the notice to show."""

    base: Decimal
    periods: tuple[InterestPeriod, ...]
    amount: Decimal

    @property
    def days(self) -> int:
        return sum(p.days.days for p in self.periods)


def late_interest(
    amount_due: Decimal,
    *,
    due_date: date,
    assessed_on: date,
    rates: InterestRateTable,
    already_through: date | None = None,
    held: Sequence[DayRange] = (),
) -> LateInterest:
    """Interest on `amount_due` for the days from the day after `due_date` (or after
    `already_through`, the last day a previous assessment counted) to `assessed_on`, leaving out
    the `held` days. Raises NoInterestRate when a counted day has no rate."""
    first = due_date + ONE_DAY
    if already_through is not None:
        first = max(first, already_through + ONE_DAY)
    if amount_due <= 0 or assessed_on < first:
        return LateInterest(base=amount_due, periods=(), amount=ZERO)
    periods = tuple(
        InterestPeriod(days=piece, rate=rate)
        for span in DayRange(first, assessed_on).without(held)
        for piece, rate in rates.split(span)
    )
    with localcontext() as context:
        context.prec = 50  # exact enough that the one rounding below is the only one
        rate_days = sum((p.rate.rate * p.days.days for p in periods), Decimal(0))
        amount = round_money(amount_due * rate_days / (100 * DAYS_IN_YEAR))
    return LateInterest(base=amount_due, periods=periods, amount=amount)


def recovery_indemnity_due(
    *,
    customer_kind: CustomerKind | None,
    insolvent: bool,
    fee_invoice: bool,
    days_late: int,
    already_assessed: bool,
) -> bool:
    """Whether the €40 indemnity is owed now: professional customers only (an unknown kind owes
    nothing until known), not in insolvency proceedings, for a late invoice, once per invoice.
    A fee invoice owes none: the indemnity compensates the cost of recovering the debt itself."""
    return (
        customer_kind == "company"
        and not insolvent
        and not fee_invoice
        and days_late > 0
        and not already_assessed
    )


def late_interest_applies(
    *, customer_kind: CustomerKind | None, insolvent: bool, fee_invoice: bool
) -> bool:
    """Whether late interest is assessed at all: the penalty rate of L441-10 binds professionals,
    proceedings freeze the debt, and a fee invoice bears no interest on interest."""
    return customer_kind == "company" and not insolvent and not fee_invoice
