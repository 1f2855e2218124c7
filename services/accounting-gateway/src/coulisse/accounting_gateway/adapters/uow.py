"""The gateway's unit of work: the books, periods, suspense and auxiliary accounts on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.clock import Clock
from coulisse.platform.failpoints import failpoint
from coulisse.platform.uow import UnitOfWork

from .books import Books
from .repositories import AuxiliaryAccountRepository, PeriodRepository, SuspenseRepository
from .rules_file import RuleBookSource


class GatewayUnitOfWork(UnitOfWork):
    books: Books
    periods: PeriodRepository
    suspense: SuspenseRepository
    auxiliaries: AuxiliaryAccountRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: str,
        rules: RuleBookSource,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(sessions, service=service, clock=clock)
        self.rules = rules

    def _open_repositories(self, session: AsyncSession) -> None:
        self.books = Books(session, self.track, self.emit, self.clock, self.origin)
        self.periods = PeriodRepository(session, self.track)
        self.suspense = SuspenseRepository(session, self.track)
        self.auxiliaries = AuxiliaryAccountRepository(session, self.track)

    async def commit(self) -> None:
        await self.books.flush()
        await super().commit()
        # Between the database commit and the Kafka offset commit: the crash tests aim here.
        failpoint("accounting.after_commit")
