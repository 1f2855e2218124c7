"""The collections service's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.uow import UnitOfWork

from .repositories import (
    CustomerRepository,
    DisputeRepository,
    PlanRepository,
    PolicyRepository,
    PromiseRepository,
    ReceivableRepository,
    RunRepository,
    WriteOffRepository,
)


class CollectionsUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    receivables: ReceivableRepository
    disputes: DisputeRepository
    promises: PromiseRepository
    plans: PlanRepository
    write_offs: WriteOffRepository
    policy: PolicyRepository
    runs: RunRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session, self.track, self.clock)
        self.receivables = ReceivableRepository(session, self.track, self.clock)
        self.disputes = DisputeRepository(session, self.track, self.clock)
        self.promises = PromiseRepository(session, self.track, self.clock)
        self.plans = PlanRepository(session, self.track, self.clock)
        self.write_offs = WriteOffRepository(session, self.track, self.clock)
        self.policy = PolicyRepository(session, self.track, self.clock)
        self.runs = RunRepository(session, self.track, self.clock)
