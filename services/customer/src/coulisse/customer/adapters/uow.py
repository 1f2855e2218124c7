"""The customer service's unit of work: its repositories on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.clock import Clock
from coulisse.platform.crypto import MasterKeyring
from coulisse.platform.uow import UnitOfWork

from .repositories import CustomerRepository, PersonalDataKeyRepository, RequestRepository


class CustomerUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    requests: RequestRepository
    personal_keys: PersonalDataKeyRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: str,
        keyring: MasterKeyring,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(sessions, service=service, clock=clock)
        self.keyring = keyring

    def _open_repositories(self, session: AsyncSession) -> None:
        self.customers = CustomerRepository(session, self.track)
        self.requests = RequestRepository(session, self.track)
        self.personal_keys = PersonalDataKeyRepository(session, self.keyring)
