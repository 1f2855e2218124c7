"""Lines, VAT and totals: rounded half-up once per line, totals exactly the sum of the lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from billing_factories import line
from hypothesis import given
from hypothesis import strategies as st

from coulisse.billing.domain.amounts import (
    VAT_RATES,
    Line,
    Totals,
    canonical_quantity,
    canonical_vat_rate,
)
from coulisse.platform.domain import InvalidInput

quantities = st.decimals(
    min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6, allow_nan=False
)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal("100000"), places=2, allow_nan=False)
rates = st.sampled_from(VAT_RATES)
lines = st.builds(
    lambda q, p, r: Line.priced(description="x", quantity=q, unit_price=p, vat_rate=r),
    quantities,
    prices,
    rates,
)


def test_a_line_rounds_net_then_vat_half_up_to_the_cent() -> None:
    # 3 × 0.13 = 0.39; 0.39 × 5.5 % = 0.02145 → 0.02
    priced = line(quantity="3", unit_price="0.13", vat_rate="5.5")
    assert (priced.net, priced.vat) == (Decimal("0.39"), Decimal("0.02"))
    half = line(quantity="0.5", unit_price="0.05", vat_rate="0.0")
    assert half.net == Decimal("0.03")  # 0.025 rounds half up, not to even
    assert line(quantity="1", unit_price="0.25", vat_rate="10").vat == Decimal("0.03")


def test_rates_are_canonical_and_limited_to_the_french_ones() -> None:
    assert canonical_vat_rate(Decimal("20")) == Decimal("20.0")
    assert format(canonical_vat_rate(Decimal("5.50")) or 0, "f") == "5.5"
    assert canonical_vat_rate(Decimal("19.6")) is None
    assert line(vat_rate="20").vat_rate == line(vat_rate="20.0").vat_rate


def test_quantities_are_written_without_trailing_zeros_or_exponent() -> None:
    assert format(canonical_quantity(Decimal("1.500")), "f") == "1.5"
    assert format(canonical_quantity(Decimal("200")), "f") == "200"
    assert format(canonical_quantity(Decimal("2.000000")), "f") == "2"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"quantity": "0"}, "lines.0.quantity"),
        ({"quantity": "-1"}, "lines.0.quantity"),
        ({"unit_price": "-0.01"}, "lines.0.unit_price"),
        ({"unit_price": "1.005"}, "lines.0.unit_price"),
        ({"vat_rate": "19.6"}, "lines.0.vat_rate"),
        ({"description": "  "}, "lines.0.description"),
        ({"revenue_account": "411000"}, "lines.0.revenue_account"),
        ({"quantity": "999999999", "unit_price": "99999999999.00"}, "lines.0.unit_price"),
    ],
)
def test_bad_lines_are_refused_naming_the_field(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        line(**kwargs)
    assert refused.value.field == field


def test_the_breakdown_groups_lines_per_rate_in_rate_order() -> None:
    totals = Totals.of(
        [line("1", "0.10", "5.5"), line("1", "100.00", "20"), line("1", "0.10", "5.5")]
    )
    assert [(r.vat_rate, r.net, r.vat) for r in totals.breakdown] == [
        (Decimal("20.0"), Decimal("100.00"), Decimal("20.00")),
        # Each line's 0.0055 rounds to 0.01: the rate's VAT is 0.02, not 0.20 × 5.5 % = 0.01.
        (Decimal("5.5"), Decimal("0.20"), Decimal("0.02")),
    ]
    assert (totals.net, totals.vat, totals.gross) == (
        Decimal("100.20"),
        Decimal("20.02"),
        Decimal("120.22"),
    )


@given(st.lists(lines, min_size=1, max_size=20))
def test_totals_are_exactly_the_sum_of_the_lines(priced: list[Line]) -> None:
    totals = Totals.of(priced)
    assert totals.net == sum(line.net for line in priced)
    assert totals.vat == sum(line.vat for line in priced)
    assert totals.gross == sum(line.gross for line in priced)
    assert sum(r.net for r in totals.breakdown) == totals.net
    assert sum(r.vat for r in totals.breakdown) == totals.vat
    for rate_total in totals.breakdown:
        at_rate = [line for line in priced if line.vat_rate == rate_total.vat_rate]
        assert rate_total.net == sum(line.net for line in at_rate)
        assert rate_total.vat == sum(line.vat for line in at_rate)


@given(quantities, prices, rates)
def test_every_amount_is_in_cents_and_rounded_once(
    quantity: Decimal, price: Decimal, rate: Decimal
) -> None:
    priced = Line.priced(description="x", quantity=quantity, unit_price=price, vat_rate=rate)
    for amount in (priced.net, priced.vat):
        assert amount == amount.quantize(Decimal("0.01"))
    assert abs(priced.net - quantity * price) <= Decimal("0.005")
    assert abs(priced.vat - priced.net * rate / 100) <= Decimal("0.005")
