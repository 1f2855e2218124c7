"""The collections service's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.uow import UnitOfWork

from .delivery import DeliveryRepository, RecipientRepository
from .repositories import (
    CustomerRepository,
    DisputeRepository,
    PlanRepository,
    PolicyRepository,
    PromiseRepository,
    ReceivableRepository,
    ReferenceRateRepository,
    RunRepository,
    WaiverRepository,
    WriteOffRepository,
)


class CollectionsUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    receivables: ReceivableRepository
    disputes: DisputeRepository
    promises: PromiseRepository
    plans: PlanRepository
    write_offs: WriteOffRepository
    waivers: WaiverRepository
    reference_rates: ReferenceRateRepository
    policy: PolicyRepository
    runs: RunRepository
    recipients: RecipientRepository
    deliveries: DeliveryRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session, self.track, self.clock)
        self.receivables = ReceivableRepository(session, self.track, self.clock)
        self.disputes = DisputeRepository(session, self.track, self.clock)
        self.promises = PromiseRepository(session, self.track, self.clock)
        self.plans = PlanRepository(session, self.track, self.clock)
        self.write_offs = WriteOffRepository(session, self.track, self.clock)
        self.waivers = WaiverRepository(session, self.track, self.clock)
        self.reference_rates = ReferenceRateRepository(session, self.track, self.clock)
        self.policy = PolicyRepository(session, self.track, self.clock)
        self.runs = RunRepository(session, self.track, self.clock)
        self.recipients = RecipientRepository(session, self.clock)
        self.deliveries = DeliveryRepository(session, self.clock)
