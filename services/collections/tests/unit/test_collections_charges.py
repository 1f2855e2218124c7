"""French late-payment charges: interest from dated rates, rounded once; the €40 indemnity."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from collections_factories import DEFAULT_RATES
from hypothesis import given
from hypothesis import strategies as st

from coulisse.collections.domain.calendar import DayRange
from coulisse.collections.domain.charges import (
    RECOVERY_INDEMNITY,
    InterestRate,
    InterestRateTable,
    NoInterestRate,
    french_penalty_rates,
    late_interest,
    late_interest_applies,
    recovery_indemnity_due,
)
from coulisse.contracts.money import round_money
from coulisse.platform.domain import Conflict, InvalidInput


def flat(rate: str | Decimal, *, since: date = date(2000, 1, 1)) -> InterestRateTable:
    return InterestRateTable(
        [InterestRate(effective_on=since, rate=Decimal(rate), source="contract")]
    )


def test_the_default_rate_is_the_ecb_rate_of_the_half_year_plus_ten_points() -> None:
    assert DEFAULT_RATES.rate_on(date(2024, 3, 1)).rate == Decimal("14.50")
    assert DEFAULT_RATES.rate_on(date(2024, 7, 1)).rate == Decimal("14.25")
    assert DEFAULT_RATES.rate_on(date(2025, 6, 30)).rate == Decimal("13.15")
    assert DEFAULT_RATES.rate_on(date(2025, 7, 1)).rate == Decimal("12.15")
    rate = DEFAULT_RATES.rate_on(date(2026, 2, 14))
    assert rate.rate == Decimal("12.15") and rate.effective_on == date(2026, 1, 1)
    assert "1 January 2026" in rate.source and "L441-10" in rate.source


def test_a_day_no_rate_covers_is_a_clear_error() -> None:
    with pytest.raises(NoInterestRate) as refused:
        DEFAULT_RATES.rate_on(date(2026, 7, 1))
    assert isinstance(refused.value, Conflict) and refused.value.field == "rates"
    assert "2026-07-01" in refused.value.detail
    assert "2022-01-01 to 2026-06-30" in refused.value.detail
    with pytest.raises(NoInterestRate):
        DEFAULT_RATES.rate_on(date(2021, 12, 31))


def test_a_gap_between_dated_rates_has_no_rate() -> None:
    table = InterestRateTable(
        [
            InterestRate(date(2026, 1, 1), Decimal("8"), "contract", ends_on=date(2026, 1, 31)),
            InterestRate(date(2026, 3, 1), Decimal("9"), "contract"),
        ]
    )
    assert table.rate_on(date(2026, 1, 31)).rate == 8
    assert table.rate_on(date(2030, 1, 1)).rate == 9
    with pytest.raises(NoInterestRate, match="2026-02-10"):
        table.rate_on(date(2026, 2, 10))


@pytest.mark.parametrize(
    ("rates", "field"),
    [
        ([], "rates"),
        (
            [
                InterestRate(date(2026, 1, 1), Decimal("8"), "a"),
                InterestRate(date(2026, 1, 1), Decimal("9"), "b"),
            ],
            "rates.1",
        ),
        (
            [
                InterestRate(date(2026, 1, 1), Decimal("8"), "a", ends_on=date(2026, 3, 1)),
                InterestRate(date(2026, 2, 1), Decimal("9"), "b"),
            ],
            "rates.0.ends_on",
        ),
    ],
)
def test_a_rate_table_is_refused_when_rates_overlap(rates: list[InterestRate], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        InterestRateTable(rates)
    assert refused.value.field == field


def test_a_rate_is_dated_data_with_a_source() -> None:
    with pytest.raises(InvalidInput) as refused:
        InterestRate(date(2026, 1, 1), Decimal("-1"), "a")
    assert refused.value.field == "rate"
    with pytest.raises(InvalidInput) as refused:
        InterestRate(date(2026, 1, 1), Decimal("1"), " ")
    assert refused.value.field == "source"
    with pytest.raises(InvalidInput) as refused:
        InterestRate(date(2026, 1, 1), Decimal("1"), "a", ends_on=date(2025, 1, 1))
    assert refused.value.field == "ends_on"


def test_the_reference_rate_starts_on_a_half_year() -> None:
    with pytest.raises(InvalidInput) as refused:
        french_penalty_rates([(date(2026, 3, 15), Decimal("2.15"), "ECB")])
    assert refused.value.field == "rates.0.effective_on"
    table = french_penalty_rates([(date(2026, 7, 1), Decimal("1.90"), "ECB on 1 July 2026")])
    assert table.rate_on(date(2026, 12, 31)).rate == Decimal("11.90")
    with pytest.raises(NoInterestRate):
        table.rate_on(date(2027, 1, 1))  # the next half-year needs its own row


def test_interest_runs_from_the_day_after_the_due_date() -> None:
    # 1 200.00 × 12.15 % × 30 days / 365 = 11.9835… → 11.98
    interest = late_interest(
        Decimal("1200.00"),
        due_date=date(2026, 1, 15),
        assessed_on=date(2026, 2, 14),
        rates=DEFAULT_RATES,
    )
    assert interest.amount == Decimal("11.98")
    assert interest.days == 30
    [period] = interest.periods
    assert period.days == DayRange(date(2026, 1, 16), date(2026, 2, 14))
    assert period.rate.rate == Decimal("12.15")


def test_nothing_runs_on_or_before_the_due_date() -> None:
    for assessed_on in (date(2026, 1, 10), date(2026, 1, 15)):
        interest = late_interest(
            Decimal("1200.00"),
            due_date=date(2026, 1, 15),
            assessed_on=assessed_on,
            rates=DEFAULT_RATES,
        )
        assert interest.amount == 0 and interest.periods == ()
    nothing_due = late_interest(
        Decimal("0.00"),
        due_date=date(2026, 1, 15),
        assessed_on=date(2026, 7, 15),
        rates=DEFAULT_RATES,
    )
    assert nothing_due.amount == 0  # no rate needed when nothing is due


def test_interest_over_a_half_year_change_counts_each_period_at_its_rate() -> None:
    # 20 days of June 2025 at 13.15 %, 10 days of July 2025 at 12.15 %:
    # 1 000.00 × (13.15 × 20 + 12.15 × 10) / 36 500 = 10.5342… → 10.53
    interest = late_interest(
        Decimal("1000.00"),
        due_date=date(2025, 6, 10),
        assessed_on=date(2025, 7, 10),
        rates=DEFAULT_RATES,
    )
    assert [(p.days.days, p.rate.rate) for p in interest.periods] == [
        (20, Decimal("13.15")),
        (10, Decimal("12.15")),
    ]
    assert interest.amount == Decimal("10.53")


def test_interest_is_rounded_half_up_once_for_the_whole_assessment() -> None:
    half_cent = late_interest(
        Decimal("0.05"), due_date=date(2025, 1, 1), assessed_on=date(2026, 1, 1), rates=flat("10")
    )
    assert half_cent.days == 365 and half_cent.amount == Decimal("0.01")  # 0.005 → 0.01
    # Two days at two rates, 0.004 each: rounded apiece they would vanish, together they are 0.01.
    table = InterestRateTable(
        [
            InterestRate(date(2026, 1, 1), Decimal("10"), "first", ends_on=date(2026, 6, 30)),
            InterestRate(date(2026, 7, 1), Decimal("10"), "second"),
        ]
    )
    two_days = late_interest(
        Decimal("14.60"), due_date=date(2026, 6, 29), assessed_on=date(2026, 7, 1), rates=table
    )
    assert len(two_days.periods) == 2 and two_days.amount == Decimal("0.01")


def test_interest_already_assessed_and_held_days_are_not_counted_again() -> None:
    interest = late_interest(
        Decimal("1000.00"),
        due_date=date(2026, 1, 15),
        assessed_on=date(2026, 3, 16),
        rates=flat("10"),
        already_through=date(2026, 2, 14),
        held=[DayRange(date(2026, 2, 20), date(2026, 2, 28))],
    )
    assert [p.days for p in interest.periods] == [
        DayRange(date(2026, 2, 15), date(2026, 2, 19)),
        DayRange(date(2026, 3, 1), date(2026, 3, 16)),
    ]
    assert interest.days == 21
    assert interest.amount == round_money(Decimal("1000.00") * 10 * 21 / 36500)


def test_a_missing_rate_stops_the_assessment() -> None:
    with pytest.raises(NoInterestRate, match="2026-07-01"):
        late_interest(
            Decimal("100.00"),
            due_date=date(2026, 6, 20),
            assessed_on=date(2026, 7, 20),
            rates=DEFAULT_RATES,
        )


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("40"), places=2),
    due=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    days=st.integers(min_value=1, max_value=2000),
)
def test_interest_is_amount_times_rate_times_days_over_365(
    amount: Decimal, rate: Decimal, due: date, days: int
) -> None:
    interest = late_interest(
        amount, due_date=due, assessed_on=due + timedelta(days=days), rates=flat(rate)
    )
    assert interest.days == days
    assert interest.amount == round_money(amount * rate * days / 36500)
    assert interest.amount >= 0 and interest.amount.as_tuple().exponent == -2


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e6"), places=2),
    due=st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 1)),
    days=st.integers(min_value=1, max_value=180),
    cut=st.integers(min_value=1, max_value=179),
)
def test_interest_split_at_any_day_adds_up_to_within_a_cent(
    amount: Decimal, due: date, days: int, cut: int
) -> None:
    assessed_on = min(due + timedelta(days=days), date(2026, 6, 30))
    whole = late_interest(amount, due_date=due, assessed_on=assessed_on, rates=DEFAULT_RATES)
    middle = min(due + timedelta(days=cut), assessed_on)
    first = late_interest(amount, due_date=due, assessed_on=middle, rates=DEFAULT_RATES)
    second = late_interest(
        amount, due_date=due, assessed_on=assessed_on, rates=DEFAULT_RATES, already_through=middle
    )
    assert first.days + second.days == whole.days
    assert abs(first.amount + second.amount - whole.amount) <= Decimal("0.01")


@pytest.mark.parametrize(
    ("changes", "due"),
    [
        ({}, True),
        ({"customer_kind": "person"}, False),
        ({"customer_kind": None}, False),
        ({"insolvent": True}, False),
        ({"fee_invoice": True}, False),
        ({"days_late": 0}, False),
        ({"already_assessed": True}, False),
    ],
)
def test_the_recovery_indemnity_is_owed_once_by_a_late_professional(
    changes: dict[str, object], due: bool
) -> None:
    facts: dict[str, object] = {
        "customer_kind": "company",
        "insolvent": False,
        "fee_invoice": False,
        "days_late": 1,
        "already_assessed": False,
    }
    facts.update(changes)
    assert recovery_indemnity_due(**facts) is due  # type: ignore[arg-type]


def test_the_recovery_indemnity_is_forty_euros() -> None:
    assert Decimal("40.00") == RECOVERY_INDEMNITY


def test_late_interest_binds_professionals_outside_proceedings_on_real_invoices() -> None:
    assert late_interest_applies(customer_kind="company", insolvent=False, fee_invoice=False)
    assert not late_interest_applies(customer_kind="person", insolvent=False, fee_invoice=False)
    assert not late_interest_applies(customer_kind=None, insolvent=False, fee_invoice=False)
    assert not late_interest_applies(customer_kind="company", insolvent=True, fee_invoice=False)
    assert not late_interest_applies(customer_kind="company", insolvent=False, fee_invoice=True)
