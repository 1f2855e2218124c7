"""Whatever the policy, the dates of the runs and the payments in between: levels are reached in
order, one at a time, never skipped, never repeated, each as soon as the policy allows and no
sooner; payments short of settling the invoice change the amounts, never the levels."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

from collections_factories import DUE, case_of, customer, day, receivable, run
from hypothesis import given, settings
from hypothesis import strategies as st

from coulisse.collections.domain.charges import InterestRate, InterestRateTable
from coulisse.collections.domain.engine import RunLog
from coulisse.collections.domain.policy import DunningLevel, DunningPolicy
from coulisse.contracts.collections import FeeKind

CHARGES: list[frozenset[FeeKind]] = [
    frozenset(),
    frozenset({"recovery_indemnity"}),
    frozenset({"late_interest"}),
    frozenset({"recovery_indemnity", "late_interest"}),
]
RATES = InterestRateTable([InterestRate(date(2000, 1, 1), Decimal("10"), "contract")])


@st.composite
def policies(draw: st.DrawFn) -> DunningPolicy:
    count = draw(st.integers(min_value=1, max_value=4))
    days = sorted(draw(st.sets(st.integers(-10, 60), min_size=count, max_size=count)))
    levels = []
    for number, offset in enumerate(days, start=1):
        assesses = frozenset() if offset <= 0 else draw(st.sampled_from(CHARGES))
        levels.append(
            DunningLevel(
                days=offset,
                channel=draw(st.sampled_from(["email", "letter", "call", "formal_notice"])),
                name=f"Level {number}",
                min_days_since_previous=draw(st.integers(0, 10)),
                assesses=assesses,
            )
        )
    return DunningPolicy.of(levels)


def schedule(policy: DunningPolicy, due: date, runs: list[date]) -> list[tuple[int, date]]:
    """The levels and dates expected from runs on `runs`, computed from the rules directly."""
    reached: list[tuple[int, date]] = []
    for as_of in runs:
        if len(reached) == len(policy.levels):
            break
        level = policy.levels[len(reached)]
        earliest = due + timedelta(days=level.days)
        if reached:
            previous = reached[-1][1]
            earliest = max(
                earliest, previous + timedelta(days=max(1, level.min_days_since_previous))
            )
        if as_of >= earliest:
            reached.append((len(reached) + 1, as_of))
    return reached


@settings(max_examples=150, deadline=None)
@given(
    policy=policies(),
    offsets=st.sets(st.integers(-15, 150), min_size=1, max_size=40),
    payments=st.dictionaries(
        st.integers(-15, 150),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("150.00"), places=2),
        max_size=6,
    ),
)
def test_levels_follow_the_policy_whatever_the_runs_and_partial_payments(
    policy: DunningPolicy, offsets: set[int], payments: dict[int, Decimal]
) -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)  # six payments of at most 150 never settle it
    log = RunLog()
    runs = sorted(day(o) for o in offsets)
    waiting = sorted(payments.items())
    seen: list[tuple[int, date]] = []
    amounts_on_notices: list[Decimal] = []
    for as_of in runs:
        while waiting and day(waiting[0][0]) <= as_of:
            offset, amount = waiting.pop(0)
            target.payment_allocated(uuid4(), amount, day(offset))
        before = target.level
        result = run(as_of, case_of(owner, target), log=log, policy=policy, rates=RATES)
        assert len(result.notices) <= 1
        for notice in result.notices:
            assert notice.level == before + 1 and notice.invoice_ids == [target.invoice_id]
            seen.append((notice.level, as_of))
            amounts_on_notices.append(notice.amount_due)
        assert target.level == before + len(result.notices)
        assert target.level_reached_on == (seen[-1][1] if seen else None)
    assert seen == schedule(policy, DUE, runs)
    assert amounts_on_notices == sorted(amounts_on_notices, reverse=True)


@settings(max_examples=60, deadline=None)
@given(
    policy=policies(),
    settled_at=st.integers(-15, 100),
    offsets=st.sets(st.integers(-15, 150), min_size=1, max_size=40),
)
def test_a_settled_invoice_gets_no_further_notice_or_charge(
    policy: DunningPolicy, settled_at: int, offsets: set[int]
) -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)
    log = RunLog()
    for as_of in sorted(day(o) for o in offsets):
        if as_of >= day(settled_at) and not target.settled:
            target.payment_allocated(uuid4(), Decimal("1000.00"), day(settled_at))
        result = run(as_of, case_of(owner, target), log=log, policy=policy, rates=RATES)
        if target.settled:
            assert result.notices == [] and result.charges == []


@settings(max_examples=60, deadline=None)
@given(policy=policies(), offsets=st.sets(st.integers(-15, 150), min_size=1, max_size=40))
def test_charges_are_assessed_once_per_invoice_and_interest_days_never_overlap(
    policy: DunningPolicy, offsets: set[int]
) -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)
    log = RunLog()
    indemnities = 0
    interest_days: list[date] = []
    for as_of in sorted(day(o) for o in offsets):
        result = run(as_of, case_of(owner, target), log=log, policy=policy, rates=RATES)
        for charge in result.charges:
            assert charge.assessed_on == as_of and charge.amount > 0
            if charge.kind == "recovery_indemnity":
                indemnities += 1
                assert charge.amount == Decimal("40.00")
            else:
                assert charge.interest is not None
                for period in charge.interest.periods:
                    interest_days.extend(
                        period.days.first + timedelta(days=n) for n in range(period.days.days)
                    )
    assert indemnities <= 1
    assert len(interest_days) == len(set(interest_days))
    assert all(d > DUE for d in interest_days)


@settings(max_examples=40, deadline=None)
@given(policy=policies(), offsets=st.sets(st.integers(-15, 150), min_size=1, max_size=30))
def test_a_dry_run_shows_what_the_real_run_then_does(
    policy: DunningPolicy, offsets: set[int]
) -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)
    log = RunLog()
    for as_of in sorted(day(o) for o in offsets):
        preview = run(
            as_of, case_of(owner, target), log=log, policy=policy, rates=RATES, dry_run=True
        )
        assert preview.events == []
        real = run(as_of, case_of(owner, target), log=log, policy=policy, rates=RATES)
        assert [(n.level, n.amount_due) for n in preview.notices] == [
            (n.level, n.amount_due) for n in real.notices
        ]
        assert [(c.kind, c.amount) for c in preview.charges] == [
            (c.kind, c.amount) for c in real.charges
        ]
        again = run(as_of, case_of(owner, target), log=log, policy=policy, rates=RATES)
        assert again.repeated and again.notices == [] and again.charges == []
