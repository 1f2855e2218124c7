"""Late-payment charges checked against figures computed by hand (the working is in each test),
through the shipped rate table, contract rates and waivers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from collections_factories import DEFAULT_RATES, SHIPPED_RATES, case_of, customer, pay, receivable
from collections_factories import run as run_on

from coulisse.collections.adapters.reference_rates import shipped_reference_rates
from coulisse.collections.domain.charges import late_interest
from coulisse.collections.domain.engine import RunLog
from coulisse.collections.domain.rates import ContractRate, ReferenceRate, ReferenceRates
from coulisse.collections.domain.waivers import ChargeWaiver
from coulisse.platform.domain import Conflict, InvalidInput

D = Decimal


def test_interest_across_the_july_2025_rate_change() -> None:
    # 12,000.00 due 31 March 2025, assessed 15 August 2025:
    #   1 April – 30 June: 91 days at 3.15 + 10 = 13.15 %  → 13.15 × 91 = 1,196.65
    #   1 July – 15 August: 46 days at 2.15 + 10 = 12.15 % → 12.15 × 46 =   558.90
    #   12,000 × 1,755.55 / (100 × 365) = 577.1671… → 577.17
    interest = late_interest(
        D("12000.00"),
        due_date=date(2025, 3, 31),
        assessed_on=date(2025, 8, 15),
        rates=DEFAULT_RATES,
    )
    assert [(p.days.days, p.rate.rate) for p in interest.periods] == [
        (91, D("13.15")),
        (46, D("12.15")),
    ]
    assert interest.amount == D("577.17")


def test_the_formal_notice_of_the_default_policy_charges_40_euros_and_30_days_of_interest() -> None:
    # 2,400.00 due 15 January 2026; the formal notice comes 30 days later, on 14 February:
    #   interest for 16 January – 14 February, 30 days at 2.15 + 10 = 12.15 %:
    #   2,400 × 12.15 × 30 / 36,500 = 874,800 / 36,500 = 23.9671… → 23.97
    owner = customer("company")
    invoice = receivable("2400.00", due=date(2026, 1, 15), owner=owner)
    log = RunLog()
    charges = {}
    for on in (date(2026, 1, 12), date(2026, 1, 22), date(2026, 1, 30), date(2026, 2, 14)):
        done = run_on(on, case_of(owner, invoice), log=log)
        charges[on] = {c.kind: c.amount for c in done.charges}
    assert charges == {
        date(2026, 1, 12): {},
        date(2026, 1, 22): {},
        date(2026, 1, 30): {},
        date(2026, 2, 14): {"recovery_indemnity": D("40.00"), "late_interest": D("23.97")},
    }


def contract(rate: str, effective_on: date) -> ContractRate:
    return ContractRate.agree(
        rate=D(rate), effective_on=effective_on, reference="CGV 2025", rates=SHIPPED_RATES
    )


def test_a_contract_rate_replaces_the_default_from_its_first_day() -> None:
    # 1,000.00 due 30 June 2025, contract rate 15.00 % from 1 August 2025, assessed 31 August:
    #   1 July – 31 July: 31 days at 12.15 % → 376.65
    #   1 August – 31 August: 31 days at 15.00 % → 465.00
    #   1,000 × 841.65 / 36,500 = 23.0589… → 23.06
    table = contract("15.00", date(2025, 8, 1)).over(DEFAULT_RATES)
    interest = late_interest(
        D("1000.00"), due_date=date(2025, 6, 30), assessed_on=date(2025, 8, 31), rates=table
    )
    assert [(p.days.days, p.rate.rate) for p in interest.periods] == [
        (31, D("12.15")),
        (31, D("15.00")),
    ]
    assert interest.amount == D("23.06")


def test_a_contract_rate_needs_no_ecb_rate_for_the_days_it_covers() -> None:
    # 5,000.00 at 12.00 % for 30 days (1 – 30 November 2026, a half-year whose ECB rate the
    # shipped table lacks): 5,000 × 12 × 30 / 36,500 = 49.3150… → 49.32
    table = contract("12.00", date(2025, 9, 1)).over(DEFAULT_RATES)
    interest = late_interest(
        D("5000.00"), due_date=date(2026, 10, 31), assessed_on=date(2026, 11, 30), rates=table
    )
    assert interest.amount == D("49.32")


def test_a_contract_rate_is_at_least_three_times_the_legal_rate() -> None:
    # Second half of 2025: legal rate 2.76 % for creditors other than consumers; 3 × 2.76 = 8.28.
    assert contract("8.28", date(2025, 9, 1)).rate == D("8.28")
    with pytest.raises(InvalidInput) as refused:
        contract("8.27", date(2025, 9, 1))
    assert refused.value.field == "rate"
    assert "8.28" in str(refused.value)
    # First half of 2024: 5.07 % → at least 15.21 %.
    with pytest.raises(InvalidInput):
        contract("15.20", date(2024, 3, 1))
    assert contract("15.21", date(2024, 3, 1)).rate == D("15.21")


def test_a_contract_rate_from_a_half_year_without_a_legal_rate_is_refused() -> None:
    with pytest.raises(Conflict) as refused:
        contract("12.00", date(2031, 2, 1))
    assert refused.value.field == "effective_on"


@pytest.mark.parametrize("rate", ["0", "-1.00", "100.01", "12.345", "NaN"])
def test_a_contract_rate_out_of_range_is_refused(rate: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        contract(rate, date(2025, 9, 1))
    assert refused.value.field == "rate"


def test_a_customer_with_a_contract_rate_is_charged_at_it() -> None:
    # As the formal-notice test above, at 10.00 % instead of 12.15 %:
    #   2,400 × 10 × 30 / 36,500 = 720,000 / 36,500 = 19.7260… → 19.73
    owner = customer("company")
    owner.agree_contract_rate(contract("10.00", date(2025, 9, 1)))
    invoice = receivable("2400.00", due=date(2026, 1, 15), owner=owner)
    log = RunLog()
    for on in (date(2026, 1, 12), date(2026, 1, 22), date(2026, 1, 30)):
        run_on(on, case_of(owner, invoice), log=log)
    done = run_on(date(2026, 2, 14), case_of(owner, invoice), log=log)
    assert {c.kind: c.amount for c in done.charges} == {
        "recovery_indemnity": D("40.00"),
        "late_interest": D("19.73"),
    }


def test_a_consumer_has_no_contract_penalty_rate() -> None:
    with pytest.raises(Conflict):
        customer("person").agree_contract_rate(contract("12.00", date(2025, 9, 1)))


@pytest.mark.parametrize(
    ("waived", "charged"),
    [
        ("late_interest", {"recovery_indemnity": D("40.00")}),
        ("recovery_indemnity", {"late_interest": D("23.97")}),
    ],
)
def test_a_waived_charge_is_not_assessed(waived: str, charged: dict[str, Decimal]) -> None:
    owner = customer("company")
    invoice = receivable("2400.00", due=date(2026, 1, 15), owner=owner)
    log = RunLog()
    for on in (date(2026, 1, 12), date(2026, 1, 22), date(2026, 1, 30)):
        run_on(on, case_of(owner, invoice), log=log)
    waiver = ChargeWaiver.decide(
        invoice,
        kind="late_interest" if waived == "late_interest" else "recovery_indemnity",
        reason="delivery was late",
        on=date(2026, 2, 1),
    )
    assert [e.TYPE for e in waiver.events] == ["collections.fee.waived.v1"]
    done = run_on(date(2026, 2, 14), case_of(owner, invoice), log=log)
    assert {c.kind: c.amount for c in done.charges} == charged
    assert [n.level for n in done.notices] == [4]  # the notice still goes out


def test_a_waiver_is_refused_twice_after_assessment_on_settled_or_fee_invoices() -> None:
    owner = customer("company")
    invoice = receivable("2400.00", due=date(2026, 1, 15), owner=owner)
    ChargeWaiver.decide(invoice, kind="late_interest", reason="goodwill", on=date(2026, 1, 20))
    with pytest.raises(Conflict) as twice:
        ChargeWaiver.decide(invoice, kind="late_interest", reason="again", on=date(2026, 1, 21))
    assert twice.value.field == "kind"

    invoice.indemnity_assessed(date(2026, 2, 14))
    with pytest.raises(Conflict) as assessed:
        ChargeWaiver.decide(invoice, kind="recovery_indemnity", reason="x", on=date(2026, 2, 15))
    assert "credit note" in str(assessed.value)

    settled = receivable("100.00", owner=owner)
    pay(settled, "100.00", date(2026, 1, 10))
    with pytest.raises(Conflict):
        ChargeWaiver.decide(settled, kind="late_interest", reason="x", on=date(2026, 2, 1))

    fee = receivable("40.00", owner=owner, kind="fee")
    with pytest.raises(Conflict):
        ChargeWaiver.decide(fee, kind="late_interest", reason="x", on=date(2026, 2, 1))
    with pytest.raises(InvalidInput):
        ChargeWaiver.decide(invoice, kind="recovery_indemnity", reason="  ", on=date(2026, 2, 1))


def test_reference_rates_take_one_rate_per_half_year() -> None:
    rates = ReferenceRates(shipped_reference_rates())
    again = ReferenceRate("ecb_main_refinancing", date(2025, 7, 1), D("2.15"), "ECB")
    assert rates.add(again) is False
    with pytest.raises(Conflict) as different:
        rates.add(ReferenceRate("ecb_main_refinancing", date(2025, 7, 1), D("2.00"), "ECB"))
    assert different.value.field == "rate"
    assert rates.legal_rate_on(date(2025, 12, 31)).rate == D("2.76")
    with pytest.raises(InvalidInput) as mid_year:
        ReferenceRate("legal_interest", date(2026, 3, 1), D("2.00"), "JO")
    assert mid_year.value.field == "effective_on"
    # Entering the ECB rate of a new half-year extends the default table by that half-year.
    assert rates.add(ReferenceRate("ecb_main_refinancing", date(2026, 7, 1), D("2.00"), "ECB"))
    rate = rates.penalty_table().rate_on(date(2026, 11, 30))
    assert (rate.rate, rate.ends_on) == (D("12.00"), date(2026, 12, 31))
