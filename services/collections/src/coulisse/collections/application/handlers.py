"""Handlers of commands: the dunning policy, runs, disputes, promises, payment plans, insolvency,
doubtful receivables and write-offs.

Each runs inside one unit of work that the caller commits; "today" is the unit of work's clock's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from coulisse.contracts.collections import ReceivableClassifiedDoubtful
from coulisse.platform.clock import today
from coulisse.platform.domain import Conflict, DomainError, InvalidInput, NotFound
from coulisse.platform.failpoints import failpoint

from ..adapters.uow import CollectionsUnitOfWork
from ..domain.customers import CollectionsCustomer
from ..domain.disputes import Dispute
from ..domain.engine import DunningRun, RunLog, run_dunning
from ..domain.plans import Installment, PaymentPlan
from ..domain.policy import DEFAULT_POLICY, DunningExclusion, DunningLevel, DunningPolicy
from ..domain.promises import PromiseToPay
from ..domain.rates import ContractRate, ReferenceRate
from ..domain.receivables import Receivable
from ..domain.waivers import ChargeWaiver
from ..domain.write_offs import WriteOff
from .commands import (
    AgreeContractRate,
    AgreePaymentPlan,
    ArrangeCustomerDunning,
    ClassifyDoubtful,
    EnterReferenceRate,
    LevelInput,
    OpenDispute,
    PutDefaultPolicy,
    RecordInsolvency,
    RecordPromise,
    ResolveDispute,
    RunDunning,
    WaiveCharge,
    WriteOffReceivable,
)
from .portfolio import load_portfolio
from .rates import default_penalty_rates, reference_rates


@contextmanager
def fields_under(prefix: str) -> Iterator[None]:
    """Names the refused field from the request body's root (`policy.levels.0.days`)."""
    try:
        yield
    except DomainError as exc:
        if exc.field is not None:
            exc.field = f"{prefix}.{exc.field}"
        raise


async def known_customer(
    uow: CollectionsUnitOfWork, customer_id: UUID, *, field: str, for_update: bool = False
) -> CollectionsCustomer:
    customer = await uow.customers.get(customer_id, for_update=for_update)
    if customer is None:
        raise NotFound(
            f"collections knows no customer {customer_id} (yet): customers are learned from the "
            "customer service's and billing's events",
            field=field,
        )
    return customer


async def known_receivable(
    uow: CollectionsUnitOfWork, invoice_id: UUID, *, field: str = "invoice_id"
) -> Receivable:
    """The receivable of `invoice_id`, locked."""
    receivable = await uow.receivables.get(invoice_id, for_update=True)
    if receivable is None:
        raise NotFound(
            f"collections knows no invoice {invoice_id} (yet): invoices are learned from "
            "billing's events",
            field=field,
        )
    return receivable


def policy_of(levels: Sequence[LevelInput]) -> DunningPolicy:
    return DunningPolicy.of(
        DunningLevel(
            days=level.days,
            channel=level.channel,
            name=level.name,
            min_days_since_previous=level.min_days_since_previous,
            assesses=frozenset(level.assesses),
        )
        for level in levels
    )


async def default_policy(uow: CollectionsUnitOfWork) -> DunningPolicy:
    return await uow.policy.get() or DEFAULT_POLICY


# -- policies ----------------------------------------------------------------------------------


async def put_default_policy(
    command: PutDefaultPolicy, uow: CollectionsUnitOfWork
) -> DunningPolicy:
    policy = policy_of(command.levels)
    await uow.policy.put(policy)
    return policy


async def arrange_customer_dunning(
    command: ArrangeCustomerDunning, uow: CollectionsUnitOfWork
) -> CollectionsCustomer:
    customer = await known_customer(
        uow, command.customer_id, field="path.customer_id", for_update=True
    )
    policy = exclusion = None
    if command.levels is not None:
        with fields_under("policy"):
            policy = policy_of(command.levels)
    if command.exclusion is not None:
        with fields_under("exclusion"):
            exclusion = DunningExclusion.granted(
                reason=command.exclusion.reason,
                until=command.exclusion.until,
                on=today(uow.clock),
            )
    customer.arrange_dunning(policy=policy, exclusion=exclusion)
    await uow.customers.save(customer)
    return customer


# -- runs --------------------------------------------------------------------------------------


async def run(command: RunDunning, uow: CollectionsUnitOfWork) -> DunningRun:
    """A real run, chronological and once per date; or a dry run of any date, which changes
    nothing (promises and plans are not reviewed either: their holds are read from the dates)."""
    day = today(uow.clock)
    policy = await default_policy(uow)
    rates = await default_penalty_rates(uow)
    if command.dry_run:
        portfolio = await load_portfolio(uow, for_update=False)
        return run_dunning(
            command.as_of,
            portfolio.cases(),
            log=RunLog(),
            today=day,
            rates=rates,
            default_policy=policy,
            dry_run=True,
        )
    log = await uow.runs.lock_log()
    if not log.admit(command.as_of, today=day, dry_run=False):
        earlier = await uow.runs.on(command.as_of)
        if earlier is None:  # the log moved without a recorded run: nothing to show
            earlier = DunningRun(as_of=command.as_of)
        earlier.repeated = True
        return earlier
    await uow.receivables.hold_writers()
    portfolio = await load_portfolio(uow, for_update=True)
    promises, plans = portfolio.review(command.as_of)
    done = run_dunning(
        command.as_of,
        portfolio.cases(),
        log=log,
        today=day,
        rates=rates,
        default_policy=policy,
    )
    for promise in promises:
        await uow.promises.save(promise)
    for plan in plans:
        await uow.plans.save(plan)
    moved = {line.invoice_id for notice in done.notices for line in notice.lines}
    moved |= {charge.invoice_id for charge in done.charges} | portfolio.released
    for invoice_id in sorted(moved):
        await uow.receivables.save(portfolio.receivables[invoice_id])
    await uow.runs.add(done, log)
    failpoint("collections.run.recorded")  # the crash tests' instant: all written, not committed
    return done


# -- disputes ----------------------------------------------------------------------------------


async def open_dispute(command: OpenDispute, uow: CollectionsUnitOfWork) -> Dispute:
    receivable = await known_receivable(uow, command.invoice_id)
    dispute = Dispute.open(receivable, reason=command.reason, opened_on=today(uow.clock))
    await uow.disputes.add(dispute)
    return dispute


async def resolve_dispute(command: ResolveDispute, uow: CollectionsUnitOfWork) -> Dispute:
    found = await uow.disputes.get(command.dispute_id)
    if found is None:
        raise NotFound(f"no dispute {command.dispute_id}", field="path.dispute_id")
    # The invoice's row serializes what happens to its disputes: lock it, then read again.
    receivable = await known_receivable(uow, found.invoice_id)
    dispute = await uow.disputes.get(command.dispute_id, for_update=True)
    assert dispute is not None
    dispute.resolve(receivable, outcome=command.outcome, resolved_on=today(uow.clock))
    await uow.disputes.save(dispute)
    return dispute


# -- promises and payment plans ----------------------------------------------------------------


async def record_promise(command: RecordPromise, uow: CollectionsUnitOfWork) -> PromiseToPay:
    await known_customer(uow, command.customer_id, field="customer_id")
    promise = PromiseToPay.new(
        customer_id=command.customer_id,
        amount=command.amount,
        promised_on=command.promised_on,
        recorded_on=today(uow.clock),
        grace_days=command.grace_days,
        request_id=command.request_id,
    )
    await uow.promises.add(promise)
    return promise


async def agree_payment_plan(command: AgreePaymentPlan, uow: CollectionsUnitOfWork) -> PaymentPlan:
    found = await uow.receivables.lock(command.invoice_ids)
    await known_customer(uow, command.customer_id, field="customer_id")
    # An invoice collections never heard of is refused by the plan like one not issued yet.
    receivables = [found.get(i) or Receivable(i, command.customer_id) for i in command.invoice_ids]
    plan = PaymentPlan.agree(
        customer_id=command.customer_id,
        receivables=receivables,
        installments=[Installment(i.due_date, i.amount) for i in command.installments],
        agreed_on=today(uow.clock),
        grace_days=command.grace_days,
    )
    for receivable in receivables:
        await uow.receivables.save(receivable)
    await uow.plans.add(plan)
    return plan


# -- insolvency, doubtful receivables, write-offs ----------------------------------------------


@dataclass(frozen=True)
class Classification:
    """What a customer's receivables became: doubtful (or nothing, when none was overdue)."""

    customer: CollectionsCustomer
    doubtful: ReceivableClassifiedDoubtful | None


async def record_insolvency(
    command: RecordInsolvency, uow: CollectionsUnitOfWork
) -> Classification:
    receivables = await uow.receivables.of_customers([command.customer_id], for_update=True)
    customer = await known_customer(
        uow, command.customer_id, field="path.customer_id", for_update=True
    )
    day = today(uow.clock)
    opened_on = command.opened_on or day
    if opened_on > day:
        raise InvalidInput(
            f"proceedings opened on {opened_on} would be opened after today ({day})",
            field="opened_on",
        )
    doubtful = customer.record_insolvency(
        kind=command.kind, opened_on=opened_on, receivables=receivables.values()
    )
    await uow.customers.save(customer)
    for invoice_id in doubtful.invoice_ids if doubtful else ():
        await uow.receivables.save(receivables[invoice_id])
    return Classification(customer, doubtful)


async def classify_doubtful(
    command: ClassifyDoubtful, uow: CollectionsUnitOfWork
) -> Classification:
    receivables = await uow.receivables.of_customers([command.customer_id], for_update=True)
    customer = await known_customer(
        uow, command.customer_id, field="path.customer_id", for_update=True
    )
    doubtful = customer.classify_doubtful(receivables.values(), on=today(uow.clock))
    for invoice_id in doubtful.invoice_ids if doubtful else ():
        await uow.receivables.save(receivables[invoice_id])
    return Classification(customer, doubtful)


async def write_off(command: WriteOffReceivable, uow: CollectionsUnitOfWork) -> WriteOff:
    receivable = await known_receivable(uow, command.invoice_id)
    customer = await known_customer(uow, receivable.customer_id, field="invoice_id")
    if customer.account_number is None:
        raise Conflict(
            "the customer's account is not known yet: nothing can be written off",
            field="invoice_id",
        )
    decided = WriteOff.decide(
        receivable,
        account_number=customer.account_number,
        reason=command.reason,
        on=today(uow.clock),
    )
    await uow.receivables.save(receivable)
    await uow.write_offs.add(decided)
    return decided


# -- charges: waivers, rates -------------------------------------------------------------------


async def waive_charge(command: WaiveCharge, uow: CollectionsUnitOfWork) -> ChargeWaiver:
    receivable = await known_receivable(uow, command.invoice_id)
    waiver = ChargeWaiver.decide(
        receivable, kind=command.kind, reason=command.reason, on=today(uow.clock)
    )
    await uow.receivables.save(receivable)
    await uow.waivers.add(waiver)
    return waiver


@dataclass(frozen=True)
class RateEntered:
    rate: ReferenceRate
    created: bool
    """False: the same rate was already known (shipped or entered)."""


async def enter_reference_rate(
    command: EnterReferenceRate, uow: CollectionsUnitOfWork
) -> RateEntered:
    rate = ReferenceRate(
        kind=command.kind,
        effective_on=command.effective_on,
        rate=command.rate,
        source=command.source.strip(),
    )
    # One writer at a time: two operators entering one half-year must not both succeed.
    await uow.runs.lock_log()
    known = await reference_rates(uow)
    created = known.add(rate)
    if created:
        await uow.reference_rates.add(rate)
    return RateEntered(known.get(rate.kind, rate.effective_on) or rate, created)


async def agree_contract_rate(
    command: AgreeContractRate, uow: CollectionsUnitOfWork
) -> CollectionsCustomer:
    customer = await known_customer(
        uow, command.customer_id, field="path.customer_id", for_update=True
    )
    contract = None
    if command.rate is not None:
        contract = ContractRate.agree(
            rate=command.rate,
            effective_on=command.effective_on or today(uow.clock),
            reference=command.reference,
            rates=await reference_rates(uow),
        )
    customer.agree_contract_rate(contract)
    await uow.customers.save(customer)
    return customer
