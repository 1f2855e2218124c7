"""The dunning engine: which invoices reach which level on a run's date, the notices that tell the
customers, and the charges the levels assess.

Every invoice is aged from its own due date and climbs the levels of its customer's policy one at
a time: a level is reached once its days have passed since the due date and its
`min_days_since_previous` since the previous level, never two levels on one run, never a level
skipped or repeated. What remains due only changes the amounts on the notices: a partial payment
neither sends an invoice back to the first level nor pushes it up several levels at once. A
settled invoice leaves the process; a held one waits at the level it reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, cast
from uuid import UUID, uuid4

from coulisse.contracts.collections import DunningChannel, DunningNoticeSent, FeeAssessed, FeeKind
from coulisse.contracts.collections import DunningLevel as LevelNumber
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .charges import (
    RECOVERY_INDEMNITY,
    InterestRateTable,
    LateInterest,
    late_interest,
    late_interest_applies,
    recovery_indemnity_due,
)
from .customers import CollectionsCustomer
from .plans import PaymentPlan
from .policy import DEFAULT_POLICY, DunningLevel, DunningPolicy
from .promises import PromiseToPay
from .receivables import InvoiceFacts, Receivable

HoldReason = Literal["insolvency", "exclusion", "dispute", "payment_plan", "promise_to_pay"]


@dataclass(frozen=True)
class NextLevel:
    """The level an invoice reaches next, and the first day it may."""

    number: int
    level: DunningLevel
    on: date


def next_level(receivable: Receivable, policy: DunningPolicy) -> NextLevel | None:
    """None for an invoice out of the process: unknown, settled, or past the last level."""
    if receivable.invoice is None or receivable.settled:
        return None
    level = policy.after(receivable.level)
    if level is None:
        return None
    on = level.reached_from(receivable.invoice.due_date)
    if receivable.level_reached_on is not None:
        # Never two levels on one day, whatever the policy's spacing says.
        spacing = max(1, level.min_days_since_previous)
        on = max(on, receivable.level_reached_on + timedelta(days=spacing))
    return NextLevel(number=receivable.level + 1, level=level, on=on)


@dataclass
class CollectionCase:
    """What collections knows of one customer: who they are, what they owe, what they agreed."""

    customer: CollectionsCustomer
    receivables: Sequence[Receivable]
    promises: Sequence[PromiseToPay] = ()
    plans: Sequence[PaymentPlan] = ()

    def hold_on(self, receivable: Receivable, day: date) -> HoldReason | None:
        """Why dunning of `receivable` waits on `day`, if it does."""
        if self.customer.insolvent_on(day):
            return "insolvency"
        if self.customer.excluded_on(day):
            return "exclusion"
        if receivable.disputed:
            return "dispute"
        if any(plan.holds(receivable.invoice_id, day) for plan in self.plans):
            return "payment_plan"
        if receivable.overdue_on(day) and any(p.holds_on(day) for p in self.promises):
            return "promise_to_pay"
        return None


@dataclass(frozen=True)
class NoticeLine:
    invoice_id: UUID
    invoice_number: str
    due_date: date
    amount_due: Decimal
    days_late: int


@dataclass(frozen=True)
class Notice:
    """One notice to one customer for the invoices reaching one level on one run."""

    notice_id: UUID
    customer_id: UUID
    level: int
    level_name: str
    channel: DunningChannel
    sent_on: date
    lines: tuple[NoticeLine, ...]

    @property
    def invoice_ids(self) -> list[UUID]:
        return [line.invoice_id for line in self.lines]

    @property
    def amount_due(self) -> Decimal:
        return sum((line.amount_due for line in self.lines), ZERO)

    def to_event(self) -> DunningNoticeSent:
        return DunningNoticeSent(
            notice_id=self.notice_id,
            customer_id=self.customer_id,
            level=cast(LevelNumber, self.level),  # a policy has at most four levels
            level_name=self.level_name,
            invoice_ids=self.invoice_ids,
            amount_due=self.amount_due,
            sent_on=self.sent_on,
            channel=self.channel,
        )


@dataclass(frozen=True)
class Charge:
    """A late-payment charge assessed on one invoice; billing invoices it."""

    fee_id: UUID
    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    kind: FeeKind
    amount: Decimal
    assessed_on: date
    interest: LateInterest | None = None
    """How late interest was counted (periods, rates); None for the indemnity."""

    def to_event(self) -> FeeAssessed:
        return FeeAssessed(
            fee_id=self.fee_id,
            customer_id=self.customer_id,
            invoice_id=self.invoice_id,
            kind=self.kind,
            amount=self.amount,
            assessed_on=self.assessed_on,
        )


@dataclass(frozen=True)
class Held:
    """An invoice whose next level was due but waits, and why."""

    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    level: int
    reason: HoldReason


@dataclass
class DunningRun(Aggregate):
    """What a run did (or, for a dry run, would do) on its date."""

    as_of: date
    dry_run: bool = False
    repeated: bool = False
    """The date had already been run: nothing new was done."""
    run_id: UUID = field(default_factory=uuid4)
    notices: list[Notice] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)


@dataclass
class RunLog:
    """Runs are chronological: the date of the last one decides what a new one may do."""

    last_run_on: date | None = None

    def admit(self, as_of: date, *, today: date, dry_run: bool) -> bool:
        """Whether a run on `as_of` does anything: False when that date was already run.
        A dry run previews any date; a real one is never in the future nor before the last."""
        if dry_run:
            return True
        if as_of > today:
            raise InvalidInput(
                f"a run cannot be dated after today ({today}): preview {as_of} with a dry run",
                field="as_of",
            )
        if self.last_run_on is not None and as_of < self.last_run_on:
            raise Conflict(
                f"the last run was dated {self.last_run_on}: a run dated {as_of} would go back "
                "in time",
                field="as_of",
                last_run_on=self.last_run_on.isoformat(),
            )
        return as_of != self.last_run_on

    def ran(self, as_of: date) -> None:
        self.last_run_on = as_of


@dataclass
class _Step:
    receivable: Receivable
    invoice: InvoiceFacts
    next: NextLevel
    charges: list[Charge]


def run_dunning(
    as_of: date,
    cases: Iterable[CollectionCase],
    *,
    log: RunLog,
    today: date,
    rates: InterestRateTable,
    default_policy: DunningPolicy = DEFAULT_POLICY,
    dry_run: bool = False,
) -> DunningRun:
    """Runs dunning on `as_of`. A real run moves the invoices up their levels, marks the charges
    assessed and records a notice-sent and a fee-assessed event for each; a dry run changes
    nothing. Raises NoInterestRate, before changing anything, when interest is due for a day the
    rate table does not cover."""
    if not log.admit(as_of, today=today, dry_run=dry_run):
        return DunningRun(as_of=as_of, dry_run=dry_run, repeated=True)
    run = DunningRun(as_of=as_of, dry_run=dry_run)
    steps: list[_Step] = []
    customers: set[UUID] = set()
    for case in cases:
        # One case per customer, or a customer would get two notices of one level on one run.
        if case.customer.customer_id in customers:
            raise Conflict(
                f"customer {case.customer.customer_id} appears twice in the run",
                field="customer_id",
            )
        customers.add(case.customer.customer_id)
        case_steps = _evaluate(case, as_of, run, rates, default_policy)
        steps.extend(case_steps)
        run.notices.extend(_notices(case.customer.customer_id, case_steps, as_of))
        run.charges.extend(charge for step in case_steps for charge in step.charges)
    if dry_run:
        return run
    for step in steps:
        step.receivable.reach_level(step.next.number, as_of)
        for charge in step.charges:
            if charge.kind == "recovery_indemnity":
                step.receivable.indemnity_assessed(as_of)
            else:
                step.receivable.interest_assessed(through=as_of)
    log.ran(as_of)
    for notice in run.notices:
        run.record(notice.to_event())
    for charge in run.charges:
        run.record(charge.to_event())
    return run


def _evaluate(
    case: CollectionCase,
    as_of: date,
    run: DunningRun,
    rates: InterestRateTable,
    default_policy: DunningPolicy,
) -> list[_Step]:
    customer = case.customer
    policy = customer.policy_or(default_policy)
    steps: list[_Step] = []
    for receivable in sorted(case.receivables, key=_invoice_order):
        if receivable.customer_id != customer.customer_id:
            raise Conflict(
                f"invoice {receivable.invoice_number} belongs to another customer",
                field="customer_id",
            )
        upcoming = next_level(receivable, policy)
        invoice = receivable.invoice
        if upcoming is None or invoice is None or as_of < upcoming.on:
            continue
        reason = case.hold_on(receivable, as_of)
        if reason is not None:
            run.held.append(
                Held(
                    customer_id=customer.customer_id,
                    invoice_id=receivable.invoice_id,
                    invoice_number=invoice.number,
                    level=upcoming.number,
                    reason=reason,
                )
            )
            continue
        steps.append(
            _Step(
                receivable,
                invoice,
                upcoming,
                _charges(customer, receivable, invoice, upcoming, as_of, rates),
            )
        )
    return steps


def _charges(
    customer: CollectionsCustomer,
    receivable: Receivable,
    invoice: InvoiceFacts,
    upcoming: NextLevel,
    as_of: date,
    rates: InterestRateTable,
) -> list[Charge]:
    insolvent = customer.insolvent_on(as_of)
    charges: list[Charge] = []

    def charge(kind: FeeKind, amount: Decimal, interest: LateInterest | None = None) -> Charge:
        return Charge(
            fee_id=uuid4(),
            customer_id=customer.customer_id,
            invoice_id=receivable.invoice_id,
            invoice_number=invoice.number,
            kind=kind,
            amount=amount,
            assessed_on=as_of,
            interest=interest,
        )

    assessed = set(upcoming.level.assesses) - receivable.waived_charges
    rates = customer.penalty_rates(rates)
    if "recovery_indemnity" in assessed and recovery_indemnity_due(
        customer_kind=customer.kind,
        insolvent=insolvent,
        fee_invoice=receivable.is_fee,
        days_late=receivable.days_late(as_of),
        already_assessed=receivable.indemnity_assessed_on is not None,
    ):
        charges.append(charge("recovery_indemnity", RECOVERY_INDEMNITY))
    if "late_interest" in assessed and late_interest_applies(
        customer_kind=customer.kind, insolvent=insolvent, fee_invoice=receivable.is_fee
    ):
        interest = late_interest(
            receivable.amount_due,
            due_date=invoice.due_date,
            assessed_on=as_of,
            rates=rates,
            already_through=receivable.interest_assessed_through,
            held=receivable.held_days(as_of),
        )
        if interest.amount > 0:
            charges.append(charge("late_interest", interest.amount, interest))
    return charges


def _notices(customer_id: UUID, steps: list[_Step], as_of: date) -> list[Notice]:
    by_level: dict[int, list[_Step]] = {}
    for step in steps:
        by_level.setdefault(step.next.number, []).append(step)
    notices = []
    for number in sorted(by_level):
        level = by_level[number][0].next.level
        lines = []
        for step in by_level[number]:
            lines.append(
                NoticeLine(
                    invoice_id=step.receivable.invoice_id,
                    invoice_number=step.invoice.number,
                    due_date=step.invoice.due_date,
                    amount_due=step.receivable.amount_due,
                    days_late=step.receivable.days_late(as_of),
                )
            )
        notices.append(
            Notice(
                notice_id=uuid4(),
                customer_id=customer_id,
                level=number,
                level_name=level.name,
                channel=level.channel,
                sent_on=as_of,
                lines=tuple(lines),
            )
        )
    return notices


def _invoice_order(receivable: Receivable) -> tuple[date, str]:
    return (receivable.due_date or date.min, receivable.invoice_number or "")
