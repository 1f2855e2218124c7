"""The customer service's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from coulisse.platform.uow import UnitOfWork

from .repositories import CustomerRepository, RequestRepository


class CustomerUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    requests: RequestRepository

    def _open_repositories(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session, self.track)
        self.requests = RequestRepository(session, self.track)
