"""The reports' pure rules, against figures worked out by hand: aging buckets, both DSO
methods, percentiles, the drift, reversals, the pulse's verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from coulisse.platform.domain import InvalidInput
from coulisse.reporting.domain import aging, dso, out_of_band, pulse
from coulisse.reporting.domain.books import Line, digest, is_receivable, receivable_effect
from coulisse.reporting.domain.percentiles import days_between, percentile
from coulisse.reporting.domain.reconciliation import Standing, reconcile, total_drift
from coulisse.reporting.domain.timeline import summary

D = Decimal
AS_OF = date(2026, 11, 30)


# -- aging -------------------------------------------------------------------------------------


def test_buckets_are_increasing_positive_whole_numbers() -> None:
    assert aging.parse_bounds(None) == (30, 60, 90)
    assert aging.parse_bounds("15, 45") == (15, 45)
    for wrong in ("30,30", "60,30", "0,30", "a,b", "", "30,,60", "-5", "30.5", "4000"):
        with pytest.raises(InvalidInput) as refused:
            aging.parse_bounds(wrong)
        assert refused.value.field == "query.buckets", wrong


def test_bucket_bounds_by_basis() -> None:
    by_due = aging.buckets((30, 60, 90), "due_date")
    assert [(b.key, b.min_days, b.max_days) for b in by_due] == [
        ("not_due", None, 0),
        ("1-30", 1, 30),
        ("31-60", 31, 60),
        ("61-90", 61, 90),
        ("over_90", 91, None),
    ]
    by_issue = aging.buckets((30,), "invoice_date")
    assert [(b.key, b.min_days, b.max_days) for b in by_issue] == [
        ("0-30", 0, 30),
        ("over_30", 31, None),
    ]


def _invoice(
    customer: object, amount: str, due: date, *, issued: date | None = None, disputed: bool = False
) -> aging.OpenInvoice:
    return aging.OpenInvoice(
        customer_id=customer,  # type: ignore[arg-type]
        invoice_id=uuid4(),
        amount=D(amount),
        issue_date=issued or date(2026, 7, 1),
        due_date=due,
        disputed=disputed,
    )


def test_open_invoices_are_aged_by_due_date_on_the_day() -> None:
    a, b = uuid4(), uuid4()
    invoices = [
        _invoice(a, "100.00", date(2026, 12, 15)),  # not due
        _invoice(a, "200.00", date(2026, 11, 30)),  # due today: 0 days, not due
        _invoice(a, "300.00", date(2026, 11, 29)),  # 1 day
        _invoice(a, "400.00", date(2026, 10, 31)),  # 30 days
        _invoice(a, "500.00", date(2026, 10, 30)),  # 31 days
        _invoice(b, "600.00", date(2026, 9, 1)),  # 90 days
        _invoice(b, "700.00", date(2026, 8, 31)),  # 91 days
        _invoice(b, "80.00", date(2026, 8, 1), disputed=True),  # apart
        _invoice(b, "-30.00", date(2026, 8, 1)),  # credited beyond what was left
    ]
    # `a` paid 50.00 that no invoice took; `b` was refunded 10.00 of its credit.
    found = aging.age_receivables(
        invoices,
        {a: D("-50.00"), b: D("10.00")},
        as_of=AS_OF,
        basis="due_date",
        bounds=(30, 60, 90),
    )
    assert found.customers[a].buckets == [D("300"), D("700"), D("500"), D(0), D(0)]
    assert found.customers[a].on_account == D("50.00")
    assert found.customers[a].balance == D("1450.00")  # 1,500 owed − 50 held
    assert found.customers[b].buckets == [D(0), D(0), D(0), D("600"), D("700")]
    assert found.customers[b].disputed == D("80.00")
    assert found.customers[b].on_account == D("20.00")  # 30 credited − 10 refunded
    assert found.customers[b].overdue == D("1380.00")  # the disputed 80 too
    total = found.total
    assert total.buckets == [D("300"), D("700"), D("500"), D("600"), D("700")]
    assert (total.undisputed, total.disputed, total.receivables) == (
        D("2800.00"),
        D("80.00"),
        D("2880.00"),
    )
    assert total.on_account == D("70.00")
    assert total.balance == D("2810.00")
    assert total.invoices == 8


def test_by_invoice_date_the_age_counts_from_the_issue() -> None:
    a = uuid4()
    found = aging.age_receivables(
        [_invoice(a, "10.00", date(2026, 12, 31), issued=date(2026, 10, 31))],  # 30 days old
        {},
        as_of=AS_OF,
        basis="invoice_date",
        bounds=(30, 60),
    )
    assert found.total.buckets == [D("10.00"), D(0), D(0)]
    assert found.total.overdue == D(0)


def test_a_settled_customer_is_not_listed() -> None:
    a = uuid4()
    found = aging.age_receivables(
        [_invoice(a, "0.00", date(2026, 1, 1))],
        {a: D("0.00")},
        as_of=AS_OF,
        basis="due_date",
        bounds=(30,),
    )
    assert found.customers == {}
    assert found.total.balance == 0


# -- DSO ---------------------------------------------------------------------------------------


def test_simple_dso() -> None:
    # 45,000 owed, 135,000 sold in 90 days: 45,000 / 135,000 × 90 = 30 days.
    assert dso.simple_dso(D("45000"), D("135000"), 90) == D("30.00")
    # 1,000 / 3,000 × 90 = 30; 1,000 / 7,000 × 90 = 12.857… → 12.86.
    assert dso.simple_dso(D("1000"), D("7000"), 90) == D("12.86")
    assert dso.simple_dso(D("1000"), D("0"), 90) is None
    assert dso.simple_dso(D("0"), D("0"), 90) == D("0.00")


def test_count_back_dso_walks_back_month_by_month() -> None:
    # 30 November: November 20,000 (30 days), October 15,000 (31), September 30,000 (30).
    # 50,000 owed: November all (30 d, 30,000 left), October all (31 d, 15,000 left),
    # September 15,000 / 30,000 × 30 = 15 d. Total 76 days.
    months = [(30, D("20000")), (31, D("15000")), (30, D("30000"))]
    assert dso.count_back_dso(D("50000"), months) == D("76.00")
    # 10,000 owed: 10,000 / 20,000 × 30 = 15 days, within November.
    assert dso.count_back_dso(D("10000"), months) == D("15.00")
    # A month with no sales counts whole; more owed than ever sold: every month walked.
    assert dso.count_back_dso(D("100"), [(31, D(0)), (30, D("300"))]) == D("41.00")
    assert dso.count_back_dso(D("1000"), [(31, D("100")), (30, D("100"))]) == D("61.00")
    assert dso.count_back_dso(D("0"), months) == D("0.00")


def test_months_and_month_ends() -> None:
    periods = dso.months_back(date(2026, 11, 16), 3)
    assert [(p.start, p.end, p.days) for p in periods] == [
        (date(2026, 11, 1), date(2026, 11, 16), 16),
        (date(2026, 10, 1), date(2026, 10, 31), 31),
        (date(2026, 9, 1), date(2026, 9, 30), 30),
    ]
    assert dso.month_ends(date(2026, 3, 10), 3) == [
        date(2025, 12, 31),
        date(2026, 1, 31),
        date(2026, 2, 28),
    ]
    assert dso.month_ends(date(2026, 2, 28), 2) == [date(2026, 1, 31), date(2026, 2, 28)]
    assert dso.window(date(2026, 11, 30), 90) == dso.Period(date(2026, 9, 2), date(2026, 11, 30))


# -- percentiles -------------------------------------------------------------------------------


def test_percentiles_interpolate_between_closest_ranks() -> None:
    values = [D(v) for v in ("1", "2", "3", "4", "10")]
    # p50: rank (5 − 1) × 0.5 + 1 = 3 → 3. p90: rank 4.6 → 4 + 0.6 × (10 − 4) = 7.6.
    assert percentile(values, 50) == D("3.00")
    assert percentile(values, 90) == D("7.60")
    # Even count, unsorted: 0.25, 0.5, 0.75, 2.5. p50 is the mean of the middle two,
    # (0.5 + 0.75) / 2 = 0.625 → 0.63 (half-up); p90: rank 3 × 0.9 + 1 = 3.7 →
    # 0.75 + 0.7 × (2.5 − 0.75) = 1.975 → 1.98.
    four = [D("2.5"), D("0.25"), D("0.5"), D("0.75")]
    assert percentile(four, 50) == D("0.63")
    assert percentile(four, 90) == D("1.98")
    assert percentile([D("4.2")], 90) == D("4.20")
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 100)


def test_lead_times_in_decimal_days() -> None:
    opened = datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert days_between(opened, datetime(2026, 11, 4, 21, tzinfo=UTC)) == D("2.5")
    assert days_between(opened, datetime(2026, 11, 2, 9, 36, tzinfo=UTC)) == D("0.025")
    assert days_between(opened, datetime(2026, 11, 1, tzinfo=UTC)) == 0


# -- reconciliation and the books --------------------------------------------------------------


def test_drift_per_customer_and_in_total() -> None:
    a, b, c = uuid4(), uuid4(), uuid4()
    rows = reconcile(
        billing={a: D("1200.00"), b: D("300.00"), c: D("0.00")},
        books={"C000001": D("1200.00"), "C000002": D("350.00"), "C999999": D("10.00")},
        accounts={"C000001": a, "C000002": b, "C000003": c},
    )
    assert [(r.account_number, r.billing, r.books, r.drift) for r in rows] == [
        ("C000001", D("1200.00"), D("1200.00"), D("0.00")),
        ("C000002", D("300.00"), D("350.00"), D("-50.00")),
        ("C000003", D("0.00"), D("0.00"), D("0.00")),
        ("C999999", D("0.00"), D("10.00"), D("-10.00")),  # no event names its customer
    ]
    assert rows[-1].customer_id is None
    drift = total_drift(rows)
    assert (drift.billing, drift.books, drift.net, drift.drifting) == (
        D("1500.00"),
        D("1560.00"),
        D("-60.00"),
        2,
    )
    assert total_drift([Standing(a, "C1", D(5), D(5))]).drifting == 0


def test_a_reversal_mirrors_the_entry_it_cancels() -> None:
    lines = [
        Line("411", "C000042", "Facture F1", D("120.00"), D("0.00")),
        Line("706", None, "Facture F1", D("0.00"), D("100.00")),
        Line("44571", None, "TVA", D("0.00"), D("20.00")),
    ]
    mirrored = [Line(x.account, x.auxiliary_account, x.label, x.credit, x.debit) for x in lines]
    assert digest("VT", mirrored) == digest("VT", lines, mirrored=True)
    assert digest("VT", mirrored) != digest("VT", lines)
    assert digest("OD", mirrored) != digest("VT", lines, mirrored=True)  # another journal
    assert receivable_effect(lines) == D("120.00")
    assert receivable_effect(mirrored) == D("-120.00")
    assert is_receivable("411000") and is_receivable("416") and not is_receivable("4111"[:2])


def test_out_of_band_writes_are_read_by_type_name() -> None:
    assert out_of_band.service_of("billing.database.out_of_band_write.v1") == "billing"
    assert out_of_band.service_of("accounting.database.out_of_band_write.v1") == "accounting"
    assert out_of_band.service_of("reporting.database.out_of_band_write.v1") is None
    assert out_of_band.service_of("billing.invoice.issued.v1") is None
    write = out_of_band.read(
        {
            "table": "invoices",
            "operation": "update",
            "row_key": "F/2026",
            "db_role": "dba",
            "at": "2026-11-16T10:00:00Z",
        }
    )
    assert (write.operation, write.at) == ("UPDATE", datetime(2026, 11, 16, 10, tzinfo=UTC))
    assert out_of_band.read({}).table == ""
    line = summary("billing.database.out_of_band_write.v1", None, {"table": "invoices"})
    assert line.startswith("Out-of-band write on billing.invoices")


def test_the_pulse_is_red_as_soon_as_one_figure_is() -> None:
    assert pulse.zero_is_green(0) == "green"
    assert pulse.zero_is_green(D("0.00")) == "green"
    assert pulse.zero_is_green(1) == "red"
    assert pulse.overall(["green", None, "green"]) == "green"
    assert pulse.overall(["green", None, "red"]) == "red"
