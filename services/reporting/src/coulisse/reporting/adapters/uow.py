"""The reporting service's unit of work: the read model (live or a rebuild's shadow), the
reports' facts and reads, and the rebuild requests, on one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.clock import Clock
from coulisse.platform.uow import UnitOfWork

from .facts import FactsStore
from .report_reads import ReportReads
from .repositories import ReadModelStore, RebuildRepository
from .tables import LIVE, ReadModel


class ReportingUnitOfWork(UnitOfWork):
    read_model: ReadModelStore
    facts: FactsStore
    reports: ReportReads
    rebuilds: RebuildRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: str,
        clock: Clock | None = None,
        model: ReadModel = LIVE,
    ) -> None:
        super().__init__(sessions, service=service, clock=clock)
        self.model = model

    def _open_repositories(self, session: AsyncSession) -> None:
        self.read_model = ReadModelStore(session, self.model)
        self.facts = FactsStore(session, self.model)
        self.reports = ReportReads(session, self.model)
        self.rebuilds = RebuildRepository(session)
