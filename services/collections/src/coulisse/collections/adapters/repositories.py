"""Repositories: load and save aggregates; what they hand out is tracked by the unit of work.

Rows that a command changes are read `FOR UPDATE`, ordered by id, in one order across every
transaction: receivables, then customers, then promises, then plans (a run takes the run log
first). SQLite ignores `FOR UPDATE`: its single writer lock serializes the writes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.contracts.money import ZERO
from coulisse.platform.clock import Clock
from coulisse.platform.domain import Aggregate
from coulisse.platform.repository import Repository
from coulisse.platform.sql import dialect_name, insert

from ..domain.customers import ERASED_TEXT, CollectionsCustomer
from ..domain.disputes import Dispute
from ..domain.engine import DunningRun, Notice, RunLog
from ..domain.plans import PaymentPlan
from ..domain.policy import DunningPolicy
from ..domain.promises import PromiseToPay
from ..domain.rates import ReferenceRate
from ..domain.receivables import Receivable
from ..domain.waivers import ChargeWaiver
from ..domain.write_offs import WriteOff
from . import rows
from .tables import (
    charge_waivers,
    customers,
    disputes,
    dunning_policy,
    dunning_runs,
    fees,
    notice_lines,
    notices,
    payment_plans,
    promises,
    receivable_facts,
    receivables,
    reference_rates,
    run_log,
    write_offs,
)

DEFAULT = "default"
"""The name of the service's one policy row and one run log row."""


class ClockedRepository(Repository):
    """A repository that stamps the rows it writes with the unit of work's clock."""

    def __init__(
        self, session: AsyncSession, track: Callable[[Aggregate], None], clock: Clock
    ) -> None:
        super().__init__(session, track)
        self.clock = clock


class CustomerRepository(ClockedRepository):
    async def get(
        self, customer_id: UUID, *, for_update: bool = False
    ) -> CollectionsCustomer | None:
        found = await self.many([customer_id], for_update=for_update)
        return found.get(customer_id)

    async def many(
        self, customer_ids: Iterable[UUID], *, for_update: bool = False
    ) -> dict[UUID, CollectionsCustomer]:
        query = sa.select(customers).where(customers.c.id.in_(list(customer_ids)))
        if for_update:
            query = query.order_by(customers.c.id).with_for_update()
        found = {}
        for row in (await self.session.execute(query)).mappings():
            customer = rows.customer_from_row(row)
            self.track(customer)
            found[customer.customer_id] = customer
        return found

    async def learn(self, customer_id: UUID) -> CollectionsCustomer:
        """The customer, locked; a row is opened for one no event told about yet."""
        empty = CollectionsCustomer(customer_id=customer_id)
        await self.session.execute(
            insert(self.session, customers)
            .values(id=customer_id, **rows.customer_values(empty, self.clock.now()))
            .on_conflict_do_nothing(index_elements=[customers.c.id])
        )
        found = await self.get(customer_id, for_update=True)
        assert found is not None
        return found

    async def save(self, customer: CollectionsCustomer) -> None:
        await self.session.execute(
            sa.update(customers)
            .where(customers.c.id == customer.customer_id)
            .values(rows.customer_values(customer, self.clock.now()))
        )


class ReceivableRepository(ClockedRepository):
    def __init__(
        self, session: AsyncSession, track: Callable[[Aggregate], None], clock: Clock
    ) -> None:
        super().__init__(session, track, clock)
        # Fact ids already stored per invoice: `save` inserts only the new ones.
        self._stored: dict[UUID, set[UUID]] = {}

    async def lock(self, invoice_ids: Iterable[UUID]) -> dict[UUID, Receivable]:
        query = sa.select(receivables).where(receivables.c.invoice_id.in_(list(invoice_ids)))
        return await self._load(query, for_update=True)

    async def get(self, invoice_id: UUID, *, for_update: bool = False) -> Receivable | None:
        query = sa.select(receivables).where(receivables.c.invoice_id == invoice_id)
        return (await self._load(query, for_update)).get(invoice_id)

    async def of_customers(
        self, customer_ids: Iterable[UUID], *, for_update: bool = False
    ) -> dict[UUID, Receivable]:
        query = sa.select(receivables).where(receivables.c.customer_id.in_(list(customer_ids)))
        return await self._load(query, for_update)

    async def hold_writers(self) -> None:
        """Until the transaction ends, no other transaction writes or locks a receivable (plain
        reads go on), and this one first waits for those that do. A run locks every owing
        receivable in the order of their ids while a consumer's batch upserts them in the order
        of its events: locking rows one by one, the two deadlocked, and a run retried into the
        same traffic failed. Taken before any receivable, the table lock leaves no such cycle;
        EXCLUSIVE rather than SHARE ROW EXCLUSIVE so that a command holding receivables `FOR
        UPDATE` is waited for instead of waiting on the run for its own write. SQLite has one
        writer at a time anyway."""
        if dialect_name(self.session) == "postgresql":
            await self.session.execute(sa.text(f"LOCK TABLE {receivables.name} IN EXCLUSIVE MODE"))

    async def owing(
        self,
        *,
        customer_ids: Sequence[UUID] | None = None,
        also: Iterable[UUID] = (),
        for_update: bool = False,
    ) -> dict[UUID, Receivable]:
        """Every known invoice with something left due (of `customer_ids`, or of everyone), and
        the invoices `also` named, owing or not."""
        owing = sa.and_(receivables.c.number.is_not(None), receivables.c.amount_due > ZERO)
        named = list(also)
        wanted = sa.or_(owing, receivables.c.invoice_id.in_(named)) if named else owing
        query = sa.select(receivables).where(wanted)
        if customer_ids is not None:
            query = query.where(receivables.c.customer_id.in_(customer_ids))
        return await self._load(query, for_update)

    async def save(self, receivable: Receivable) -> None:
        values = rows.receivable_values(receivable, self.clock.now())
        stmt = insert(self.session, receivables).values(invoice_id=receivable.invoice_id, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[receivables.c.invoice_id], set_=values)
        )
        stored = self._stored.setdefault(receivable.invoice_id, set())
        new = [
            rows.fact_values(receivable.invoice_id, fact_id, fact)
            for fact_id, fact in receivable.facts.items()
            if fact_id not in stored
        ]
        if new:
            await self.session.execute(sa.insert(receivable_facts), new)
            stored.update(receivable.facts)

    async def _load(self, query: sa.Select[Any], for_update: bool) -> dict[UUID, Receivable]:
        if for_update:
            query = query.order_by(receivables.c.invoice_id).with_for_update()
        found_rows = (await self.session.execute(query)).mappings().all()
        if not found_rows:
            return {}
        ids = [r["invoice_id"] for r in found_rows]
        fact_rows = rows.group_by(
            (
                await self.session.execute(
                    sa.select(receivable_facts).where(receivable_facts.c.invoice_id.in_(ids))
                )
            ).mappings(),
            "invoice_id",
        )
        dispute_rows = rows.group_by(
            (
                await self.session.execute(
                    sa.select(disputes).where(disputes.c.invoice_id.in_(ids))
                )
            ).mappings(),
            "invoice_id",
        )
        found = {}
        for row in found_rows:
            invoice_id = row["invoice_id"]
            facts = fact_rows.get(invoice_id, [])
            self._stored[invoice_id] = {f["fact_id"] for f in facts}
            found[invoice_id] = rows.receivable_from_row(
                row, facts, dispute_rows.get(invoice_id, [])
            )
        return found


class DisputeRepository(ClockedRepository):
    async def add(self, dispute: Dispute) -> None:
        await self.session.execute(
            sa.insert(disputes).values(
                id=dispute.dispute_id, created_at=self.clock.now(), **rows.dispute_values(dispute)
            )
        )
        self.track(dispute)

    async def get(self, dispute_id: UUID, *, for_update: bool = False) -> Dispute | None:
        query = sa.select(disputes).where(disputes.c.id == dispute_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        if row is None:
            return None
        dispute = rows.dispute_from_row(row)
        self.track(dispute)
        return dispute

    async def save(self, dispute: Dispute) -> None:
        await self.session.execute(
            sa.update(disputes)
            .where(disputes.c.id == dispute.dispute_id)
            .values(rows.dispute_values(dispute))
        )

    async def open_of(self, customer_id: UUID) -> list[Dispute]:
        query = (
            sa.select(disputes)
            .where(disputes.c.customer_id == customer_id, disputes.c.status == "open")
            .order_by(disputes.c.opened_on, disputes.c.created_at, disputes.c.id)
        )
        found = [rows.dispute_from_row(r) for r in (await self.session.execute(query)).mappings()]
        for dispute in found:
            self.track(dispute)
        return found

    async def erase_reasons(self, customer_id: UUID) -> None:
        """An erased customer's disputes keep their dates and outcomes, not their words."""
        await self.session.execute(
            sa.update(disputes)
            .where(disputes.c.customer_id == customer_id)
            .values(reason=ERASED_TEXT)
        )


class PromiseRepository(ClockedRepository):
    async def add(self, promise: PromiseToPay) -> None:
        await self.session.execute(
            sa.insert(promises).values(
                id=promise.promise_id, created_at=self.clock.now(), **rows.promise_values(promise)
            )
        )
        self.track(promise)

    async def get(self, promise_id: UUID) -> PromiseToPay | None:
        found = await self._load(sa.select(promises).where(promises.c.id == promise_id))
        return found[0] if found else None

    async def pending_of(
        self, customer_ids: Sequence[UUID] | None, *, for_update: bool = False
    ) -> list[PromiseToPay]:
        """The promises still standing, of `customer_ids` or of everyone."""
        query = sa.select(promises).where(promises.c.status == "pending")
        if customer_ids is not None:
            query = query.where(promises.c.customer_id.in_(customer_ids))
        return await self._load(query, for_update)

    async def of_customers(self, customer_ids: Sequence[UUID]) -> list[PromiseToPay]:
        """Every promise of these customers, oldest recorded first."""
        query = sa.select(promises).where(promises.c.customer_id.in_(customer_ids))
        return await self._load(
            query.order_by(promises.c.recorded_on, promises.c.created_at, promises.c.id)
        )

    async def save(self, promise: PromiseToPay) -> None:
        await self.session.execute(
            sa.update(promises)
            .where(promises.c.id == promise.promise_id)
            .values(rows.promise_values(promise))
        )

    async def _load(self, query: sa.Select[Any], for_update: bool = False) -> list[PromiseToPay]:
        if for_update:
            query = query.order_by(promises.c.id).with_for_update()
        found = [rows.promise_from_row(r) for r in (await self.session.execute(query)).mappings()]
        for promise in found:
            self.track(promise)
        return found


class PlanRepository(ClockedRepository):
    async def add(self, plan: PaymentPlan) -> None:
        await self.session.execute(
            sa.insert(payment_plans).values(
                id=plan.plan_id, created_at=self.clock.now(), **rows.plan_values(plan)
            )
        )
        self.track(plan)

    async def get(self, plan_id: UUID) -> PaymentPlan | None:
        found = await self._load(sa.select(payment_plans).where(payment_plans.c.id == plan_id))
        return found[0] if found else None

    async def active_of(
        self, customer_ids: Sequence[UUID] | None, *, for_update: bool = False
    ) -> list[PaymentPlan]:
        """The active plans, of `customer_ids` or of everyone."""
        query = sa.select(payment_plans).where(payment_plans.c.status == "active")
        if customer_ids is not None:
            query = query.where(payment_plans.c.customer_id.in_(customer_ids))
        return await self._load(query, for_update)

    async def active_invoice_ids(self, customer_ids: Sequence[UUID] | None) -> set[UUID]:
        """The invoices of the active plans, read without a lock: to lock them first."""
        query = sa.select(payment_plans.c.invoice_ids).where(payment_plans.c.status == "active")
        if customer_ids is not None:
            query = query.where(payment_plans.c.customer_id.in_(customer_ids))
        return {UUID(i) for ids in (await self.session.scalars(query)) for i in ids}

    async def of_customers(self, customer_ids: Sequence[UUID]) -> list[PaymentPlan]:
        """Every plan of these customers, oldest agreed first."""
        query = sa.select(payment_plans).where(payment_plans.c.customer_id.in_(customer_ids))
        return await self._load(
            query.order_by(
                payment_plans.c.agreed_on, payment_plans.c.created_at, payment_plans.c.id
            )
        )

    async def save(self, plan: PaymentPlan) -> None:
        await self.session.execute(
            sa.update(payment_plans)
            .where(payment_plans.c.id == plan.plan_id)
            .values(rows.plan_values(plan))
        )

    async def _load(self, query: sa.Select[Any], for_update: bool = False) -> list[PaymentPlan]:
        if for_update:
            query = query.order_by(payment_plans.c.id).with_for_update()
        found = [rows.plan_from_row(r) for r in (await self.session.execute(query)).mappings()]
        for plan in found:
            self.track(plan)
        return found


class WriteOffRepository(ClockedRepository):
    async def add(self, write_off: WriteOff) -> None:
        await self.session.execute(
            sa.insert(write_offs).values(
                created_at=self.clock.now(), **rows.write_off_values(write_off)
            )
        )
        self.track(write_off)

    async def get(self, write_off_id: UUID) -> WriteOff | None:
        row = (
            (
                await self.session.execute(
                    sa.select(write_offs).where(write_offs.c.id == write_off_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else rows.write_off_from_row(row)


class WaiverRepository(ClockedRepository):
    async def add(self, waiver: ChargeWaiver) -> None:
        await self.session.execute(
            sa.insert(charge_waivers).values(**rows.waiver_values(waiver, self.clock.now()))
        )
        self.track(waiver)

    async def get(self, waiver_id: UUID) -> ChargeWaiver | None:
        query = sa.select(charge_waivers).where(charge_waivers.c.id == waiver_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else rows.waiver_from_row(row)

    async def erase_reasons(self, customer_id: UUID) -> None:
        """An erased customer's waivers keep the charge and the date, not the words."""
        await self.session.execute(
            sa.update(charge_waivers)
            .where(charge_waivers.c.customer_id == customer_id)
            .values(reason=ERASED_TEXT)
        )


class ReferenceRateRepository(ClockedRepository):
    """The rates entered since the release; the shipped ones come with the package."""

    async def entered(self) -> list[ReferenceRate]:
        query = sa.select(reference_rates).order_by(
            reference_rates.c.kind, reference_rates.c.effective_on
        )
        return [
            rows.reference_rate_from_row(r) for r in (await self.session.execute(query)).mappings()
        ]

    async def add(self, rate: ReferenceRate) -> None:
        await self.session.execute(
            sa.insert(reference_rates).values(**rows.reference_rate_values(rate, self.clock.now()))
        )


class PolicyRepository(ClockedRepository):
    """The service's default policy: the one shipped with it until someone changes it."""

    async def get(self) -> DunningPolicy | None:
        levels = await self.session.scalar(
            sa.select(dunning_policy.c.levels).where(dunning_policy.c.name == DEFAULT)
        )
        return None if levels is None else rows.policy_from_json(levels)

    async def put(self, policy: DunningPolicy) -> None:
        values = {"levels": rows.policy_json(policy), "updated_at": self.clock.now()}
        stmt = insert(self.session, dunning_policy).values(name=DEFAULT, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[dunning_policy.c.name], set_=values)
        )


class RunRepository(ClockedRepository):
    async def lock_log(self) -> RunLog:
        """The run log, locked until the transaction ends: runs go one at a time."""
        await self.session.execute(
            insert(self.session, run_log)
            .values(name=DEFAULT, last_run_on=None)
            .on_conflict_do_nothing(index_elements=[run_log.c.name])
        )
        last = await self.session.scalar(
            sa.select(run_log.c.last_run_on).where(run_log.c.name == DEFAULT).with_for_update()
        )
        return RunLog(last_run_on=last)

    async def add(self, run: DunningRun, log: RunLog) -> None:
        """Records a real run, its notices and its fees, and moves the log to its date."""
        await self.session.execute(
            sa.update(run_log).where(run_log.c.name == DEFAULT).values(last_run_on=log.last_run_on)
        )
        await self.session.execute(
            sa.insert(dunning_runs).values(
                id=run.run_id,
                as_of=run.as_of,
                held=rows.held_json(run.held),
                created_at=self.clock.now(),
            )
        )
        if run.notices:
            await self.session.execute(
                sa.insert(notices), [rows.notice_values(n, run.run_id) for n in run.notices]
            )
            await self.session.execute(
                sa.insert(notice_lines),
                [line for n in run.notices for line in rows.notice_line_values(n)],
            )
        if run.charges:
            await self.session.execute(
                sa.insert(fees),
                [rows.fee_values(c, run.run_id, i) for i, c in enumerate(run.charges, start=1)],
            )
        self.track(run)

    async def get(self, run_id: UUID) -> DunningRun | None:
        return await self._one(dunning_runs.c.id == run_id)

    async def on(self, as_of: date) -> DunningRun | None:
        return await self._one(dunning_runs.c.as_of == as_of)

    async def _one(self, where: sa.ColumnElement[bool]) -> DunningRun | None:
        row = (await self.session.execute(sa.select(dunning_runs).where(where))).mappings().first()
        if row is None:
            return None
        notice_rows = (
            (
                await self.session.execute(
                    sa.select(notices)
                    .where(notices.c.run_id == row["id"])
                    .order_by(notices.c.customer_id, notices.c.level)
                )
            )
            .mappings()
            .all()
        )
        fee_rows = (
            await self.session.execute(
                sa.select(fees).where(fees.c.run_id == row["id"]).order_by(fees.c.position)
            )
        ).mappings()
        return rows.run_from_rows(row, await self.notices_of(notice_rows), fee_rows)

    async def notices_of(self, notice_rows: Sequence[rows.Row]) -> list[Notice]:
        """The notices of these rows, with their lines."""
        if not notice_rows:
            return []
        line_rows = rows.group_by(
            (
                await self.session.execute(
                    sa.select(notice_lines).where(
                        notice_lines.c.notice_id.in_([n["id"] for n in notice_rows])
                    )
                )
            ).mappings(),
            "notice_id",
        )
        return [rows.notice_from_row(n, line_rows.get(n["id"], [])) for n in notice_rows]
