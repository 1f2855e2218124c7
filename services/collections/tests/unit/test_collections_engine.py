"""The dunning engine: levels per invoice from its due date, runs in date order, notices grouped per
customer and level, charges assessed by the levels that say so."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from collections_factories import DUE, case_of, customer, day, pay, receivable, run

from coulisse.collections.domain.charges import NoInterestRate
from coulisse.collections.domain.engine import (
    DunningRun,
    RunLog,
    next_level,
)
from coulisse.collections.domain.policy import (
    DEFAULT_POLICY,
    DunningExclusion,
    DunningLevel,
    DunningPolicy,
)
from coulisse.collections.domain.receivables import Receivable
from coulisse.contracts.billing import InvoiceKind
from coulisse.contracts.collections import DunningNoticeSent, FeeAssessed
from coulisse.contracts.customer import CustomerKind
from coulisse.platform.domain import Conflict, InvalidInput


def levels_over(
    target: Receivable,
    first: int,
    last: int,
    *,
    log: RunLog | None = None,
) -> dict[date, DunningRun]:
    """Runs every day from `first` to `last` days after the due date; the runs that did something."""
    owner = customer(customer_id=target.customer_id)
    log = log or RunLog()
    done = {}
    for offset in range(first, last + 1):
        result = run(day(offset), case_of(owner, target), log=log)
        if result.notices:
            done[day(offset)] = result
    return done


def test_daily_runs_reach_each_level_on_its_day() -> None:
    target = receivable()
    runs = levels_over(target, -10, 60)
    assert {on: [n.level for n in r.notices] for on, r in runs.items()} == {
        day(-3): [1],
        day(7): [2],
        day(15): [3],
        day(30): [4],
    }
    assert [n.channel for r in runs.values() for n in r.notices] == [
        "email",
        "email",
        "call",
        "formal_notice",
    ]
    assert (target.level, target.level_reached_on) == (4, day(30))


def test_the_formal_notice_assesses_the_indemnity_and_the_interest() -> None:
    target = receivable("1200.00")
    runs = levels_over(target, -10, 40)
    formal = runs[day(30)]
    assert [(c.kind, c.amount) for c in formal.charges] == [
        ("recovery_indemnity", Decimal("40.00")),
        ("late_interest", Decimal("11.98")),  # 1 200.00 × 12.15 % × 30 / 365
    ]
    assert all(not r.charges for on, r in runs.items() if on != day(30))
    assert target.indemnity_assessed_on == day(30)
    assert target.interest_assessed_through == day(30)
    interest = formal.charges[1].interest
    assert interest is not None and interest.days == 30


def test_an_invoice_found_late_still_starts_at_the_first_level() -> None:
    target = receivable()
    runs = levels_over(target, 40, 80)
    # Level 1 on the first run, then each level after its minimum spacing: 5, 5, then 7 days.
    assert {on: r.notices[0].level for on, r in runs.items()} == {
        day(40): 1,
        day(45): 2,
        day(50): 3,
        day(57): 4,
    }


def test_a_partial_payment_neither_restarts_nor_skips_levels() -> None:
    """Regression: an engine that ages the account from its oldest unpaid invoice (Kill Bill's
    overdue states) skipped or restarted levels after a partial payment. Aged per invoice from its
    due date, the level reached is kept when a payment arrives: no going back to the first
    reminder, no jump past the levels in between."""
    owner = customer()
    target = receivable("1200.00", owner=owner)
    log = RunLog()
    seen: list[tuple[date, int, Decimal]] = []
    for offset in range(-5, 45):
        if offset == 10:
            pay(target, "700.00", day(10))
        if offset == 33:
            pay(target, "100.00", day(33))
        result = run(day(offset), case_of(owner, target), log=log)
        seen.extend((day(offset), n.level, n.amount_due) for n in result.notices)
    assert seen == [
        (day(-3), 1, Decimal("1200.00")),
        (day(7), 2, Decimal("1200.00")),
        (day(15), 3, Decimal("500.00")),
        (day(30), 4, Decimal("500.00")),
    ]


def test_a_partial_payment_after_a_pause_resumes_at_the_next_level_only() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    log = RunLog()
    run(day(-3), case_of(owner, target), log=log)
    pay(target, "1000.00", day(1))
    # No run for two months: the next run sends level 2, not level 4, and not level 1 again.
    result = run(day(60), case_of(owner, target), log=log)
    assert [(n.level, n.amount_due) for n in result.notices] == [(2, Decimal("200.00"))]
    assert run(day(61), case_of(owner, target), log=log).notices == []
    assert [n.level for n in run(day(65), case_of(owner, target), log=log).notices] == [3]


def test_a_settled_invoice_leaves_the_process() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    log = RunLog()
    run(day(7), case_of(owner, target), log=log)
    pay(target, "1200.00", day(8))
    for offset in range(8, 90):
        assert run(day(offset), case_of(owner, target), log=log).notices == []
    assert next_level(target, DEFAULT_POLICY) is None


def test_an_invoice_not_known_yet_is_not_dunned() -> None:
    owner = customer()
    early = Receivable(invoice_id=receivable().invoice_id, customer_id=owner.customer_id)
    early.payment_allocated(receivable().invoice_id, Decimal("10.00"), day(0))
    assert run(day(60), case_of(owner, early)).notices == []


def test_notices_are_one_per_customer_and_level_listing_their_invoices() -> None:
    alice, bob = customer(), customer()
    older = receivable("300.00", owner=alice, number="F2026-000001", due=DUE)
    newer = receivable("200.00", owner=alice, number="F2026-000002", due=DUE + timedelta(days=1))
    fresh = receivable("50.00", owner=alice, number="F2026-000003", due=DUE + timedelta(days=20))
    bobs = receivable("80.00", owner=bob, number="F2026-000004", due=DUE)
    log = RunLog()
    run(day(-3), case_of(alice, older), case_of(bob, bobs), log=log)
    run(day(-2), case_of(alice, newer), log=log)
    result = run(day(17), case_of(alice, newer, fresh, older), case_of(bob, bobs), log=log)
    summary = [
        (n.customer_id, n.level, [line.invoice_number for line in n.lines], n.amount_due)
        for n in result.notices
    ]
    assert summary == [
        (alice.customer_id, 1, ["F2026-000003"], Decimal("50.00")),
        (alice.customer_id, 2, ["F2026-000001", "F2026-000002"], Decimal("500.00")),
        (bob.customer_id, 2, ["F2026-000004"], Decimal("80.00")),
    ]
    line = result.notices[1].lines[0]
    assert (line.due_date, line.amount_due, line.days_late) == (DUE, Decimal("300.00"), 17)


def test_a_real_run_records_its_notices_and_fees_as_events() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    for level in range(3):
        target.reach_level(level + 1, day(level))
    result = run(day(30), case_of(owner, target))
    notices = [e for e in result.events if isinstance(e, DunningNoticeSent)]
    fees = [e for e in result.events if isinstance(e, FeeAssessed)]
    [notice] = notices
    assert notice.notice_id == result.notices[0].notice_id
    assert (notice.customer_id, notice.level, notice.level_name, notice.channel) == (
        owner.customer_id,
        4,
        "Formal notice",
        "formal_notice",
    )
    assert notice.invoice_ids == [target.invoice_id]
    assert (notice.amount_due, notice.sent_on) == (Decimal("1200.00"), day(30))
    assert [(f.kind, f.amount, f.assessed_on, f.invoice_id) for f in fees] == [
        ("recovery_indemnity", Decimal("40.00"), day(30), target.invoice_id),
        ("late_interest", Decimal("11.98"), day(30), target.invoice_id),
    ]
    assert {f.fee_id for f in fees} == {c.fee_id for c in result.charges}


# -- runs in date order ------------------------------------------------------------------------


def test_running_the_same_date_again_does_nothing() -> None:
    owner = customer()
    target = receivable(owner=owner)
    # Levels a day apart with no spacing: only the run's own guard stops a second level.
    eager = DunningPolicy.of(
        [DunningLevel(days=d, channel="email", name=f"L{d}") for d in (1, 2, 3)]
    )
    log = RunLog()
    first = run(day(10), case_of(owner, target), log=log, policy=eager)
    again = run(day(10), case_of(owner, target), log=log, policy=eager)
    assert [n.level for n in first.notices] == [1]
    assert again.repeated and again.notices == [] and again.events == []
    assert target.level == 1
    assert [
        n.level for n in run(day(11), case_of(owner, target), log=log, policy=eager).notices
    ] == [2]


def test_a_run_dated_before_the_last_is_refused() -> None:
    owner = customer()
    target = receivable(owner=owner)
    log = RunLog()
    run(day(10), case_of(owner, target), log=log)
    with pytest.raises(Conflict) as refused:
        run(day(9), case_of(owner, target), log=log)
    assert refused.value.field == "as_of"
    assert refused.value.extra["last_run_on"] == day(10).isoformat()
    assert log.last_run_on == day(10)


def test_a_run_cannot_be_dated_in_the_future_but_a_dry_run_can() -> None:
    owner = customer()
    target = receivable(owner=owner)
    log = RunLog()
    with pytest.raises(InvalidInput) as refused:
        run(day(10), case_of(owner, target), log=log, today=day(9))
    assert refused.value.field == "as_of"
    preview = run(day(10), case_of(owner, target), log=log, today=day(9), dry_run=True)
    assert preview.dry_run and [n.level for n in preview.notices] == [1]


def test_a_dry_run_previews_without_effect() -> None:
    owner = customer()
    target = receivable(owner=owner)
    for level in range(3):
        target.reach_level(level + 1, day(level))
    log = RunLog(last_run_on=day(31))
    preview = run(day(40), case_of(owner, target), log=log, dry_run=True)
    assert [n.level for n in preview.notices] == [4]
    assert [c.kind for c in preview.charges] == ["recovery_indemnity", "late_interest"]
    assert preview.events == []
    assert (target.level, target.indemnity_assessed_on, log.last_run_on) == (3, None, day(31))
    # Even before the last run: a preview of the past changes nothing either.
    assert run(day(20), case_of(owner, target), log=log, dry_run=True).notices == []
    real = run(day(40), case_of(owner, target), log=log)
    assert [(n.level, n.amount_due) for n in real.notices] == [
        (n.level, n.amount_due) for n in preview.notices
    ]
    assert [(c.kind, c.amount) for c in real.charges] == [
        (c.kind, c.amount) for c in preview.charges
    ]


def test_a_missing_rate_stops_the_run_before_anything_changes() -> None:
    owner = customer()
    late = receivable(owner=owner, due=date(2026, 6, 20), number="F2026-000001")
    other = receivable(owner=owner, due=date(2026, 7, 20), number="F2026-000002")
    for level in range(3):
        late.reach_level(level + 1, date(2026, 6, 1) + timedelta(days=level))
    log = RunLog(last_run_on=date(2026, 7, 10))
    with pytest.raises(NoInterestRate, match="2026-07-01"):
        run(date(2026, 7, 20), case_of(owner, other, late), log=log, today=date(2026, 7, 20))
    assert (late.level, other.level, log.last_run_on) == (3, 0, date(2026, 7, 10))


# -- charges ------------------------------------------------------------------------------------


def at_level_3(
    kind: CustomerKind | None = "company", *, invoice_kind: InvoiceKind = "standard"
) -> tuple[Receivable, DunningRun]:
    owner = customer(kind)
    target = receivable("1200.00", owner=owner, kind=invoice_kind)
    for level in range(3):
        target.reach_level(level + 1, day(level))
    return target, run(day(30), case_of(owner, target))


def test_a_consumer_is_reminded_but_owes_no_charges() -> None:
    target, result = at_level_3("person")
    assert [n.level for n in result.notices] == [4] and result.charges == []
    assert target.indemnity_assessed_on is None and target.interest_assessed_through is None


def test_a_customer_of_unknown_kind_is_charged_nothing_yet() -> None:
    _, result = at_level_3(None)
    assert [n.level for n in result.notices] == [4] and result.charges == []


def test_a_fee_invoice_is_dunned_without_charges_on_charges() -> None:
    _, result = at_level_3(invoice_kind="fee")
    assert [n.level for n in result.notices] == [4] and result.charges == []


def test_the_indemnity_is_never_assessed_twice_and_interest_never_counts_a_day_twice() -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)
    twice = DunningPolicy.of(
        [
            DunningLevel(
                days=10,
                channel="email",
                name="Reminder",
                assesses=frozenset({"recovery_indemnity", "late_interest"}),
            ),
            DunningLevel(
                days=40,
                channel="formal_notice",
                name="Formal notice",
                assesses=frozenset({"recovery_indemnity", "late_interest"}),
            ),
        ]
    )
    log = RunLog()
    first = run(day(10), case_of(owner, target), log=log, policy=twice)
    second = run(day(40), case_of(owner, target), log=log, policy=twice)
    assert [c.kind for c in first.charges] == ["recovery_indemnity", "late_interest"]
    assert [c.kind for c in second.charges] == ["late_interest"]
    first_interest, second_interest = first.charges[1].interest, second.charges[0].interest
    assert first_interest is not None and second_interest is not None
    assert first_interest.periods[0].days.first == day(1)
    assert second_interest.periods[0].days.first == day(11)
    assert first_interest.days + second_interest.days == 40


def test_interest_is_charged_on_what_remains_due() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    for level in range(3):
        target.reach_level(level + 1, day(level))
    pay(target, "1000.00", day(20))
    result = run(day(30), case_of(owner, target))
    assert [(c.kind, c.amount) for c in result.charges] == [
        ("recovery_indemnity", Decimal("40.00")),
        ("late_interest", Decimal("2.00")),  # 200.00 × 12.15 % × 30 / 365 = 1.997…
    ]


# -- holds --------------------------------------------------------------------------------------


def test_insolvency_stops_dunning_and_charges() -> None:
    owner = customer()
    target = receivable(owner=owner)
    owner.record_insolvency(kind="receivership", opened_on=day(5), receivables=[target])
    log = RunLog()
    assert [n.level for n in run(day(-3), case_of(owner, target), log=log).notices] == [1]
    for offset in range(5, 60):
        result = run(day(offset), case_of(owner, target), log=log)
        assert result.notices == [] and result.charges == []
    assert {h.reason for h in result.held} == {"insolvency"}


def test_an_exclusion_holds_dunning_up_to_its_date() -> None:
    owner = customer()
    target = receivable(owner=owner)
    owner.exclusion = DunningExclusion(reason="Public body, paid by mandate", until=day(20))
    log = RunLog()
    held = run(day(-3), case_of(owner, target), log=log)
    assert held.notices == [] and [(h.level, h.reason) for h in held.held] == [(1, "exclusion")]
    assert run(day(20), case_of(owner, target), log=log).notices == []
    assert [n.level for n in run(day(21), case_of(owner, target), log=log).notices] == [1]


def test_a_customer_policy_replaces_the_default() -> None:
    owner = customer()
    owner.policy = DunningPolicy.of([DunningLevel(days=45, channel="letter", name="Letter")])
    target = receivable(owner=owner)
    assert run(day(30), case_of(owner, target)).notices == []
    [notice] = run(day(45), case_of(owner, target)).notices
    assert (notice.level, notice.channel, notice.level_name) == (1, "letter", "Letter")


def test_a_receivable_of_another_customer_is_refused() -> None:
    with pytest.raises(Conflict) as refused:
        run(day(30), case_of(customer(), receivable()))
    assert refused.value.field == "customer_id"


def test_a_customer_appears_once_in_a_run() -> None:
    owner = customer()
    first = receivable(owner=owner, number="F2026-000001")
    second = receivable(owner=owner, number="F2026-000002")
    with pytest.raises(Conflict) as refused:
        run(day(-3), case_of(owner, first), case_of(owner, second))
    assert refused.value.field == "customer_id"
    assert first.level == second.level == 0


def test_the_next_level_and_its_date() -> None:
    target = receivable()
    upcoming = next_level(target, DEFAULT_POLICY)
    assert upcoming is not None and (upcoming.number, upcoming.on) == (1, day(-3))
    target.reach_level(1, day(40))
    upcoming = next_level(target, DEFAULT_POLICY)
    assert upcoming is not None and (upcoming.number, upcoming.on) == (2, day(45))
