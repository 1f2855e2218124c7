"""The one place where the accounting gateway is wired together."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.clock import Clock
from coulisse.platform.service import ServiceDefinition, Wiring

from .adapters.rules_file import RuleBookSource
from .adapters.uow import GatewayUnitOfWork
from .config import GatewaySettings
from .entrypoints import (
    bulk_post,
    consumers,
    exports_api,
    journal_api,
    mappings_api,
    metrics,
    periods_api,
    reports_api,
    suspense_api,
)

SERVICE_ROOT = Path(__file__).resolve().parents[3]


class GatewayUnitOfWorkFactory:
    """Opens units of work; holds the rule book in force for the consumer and the routes."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        service: str,
        rules: RuleBookSource,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._service = service
        self._clock = clock
        self.rules = rules

    def __call__(self) -> GatewayUnitOfWork:
        return GatewayUnitOfWork(
            self._sessions, service=self._service, rules=self.rules, clock=self._clock
        )


def unit_of_work(wiring: Wiring[GatewaySettings]) -> GatewayUnitOfWorkFactory:
    return GatewayUnitOfWorkFactory(
        wiring.sessions,
        service=wiring.settings.service_name,
        rules=RuleBookSource(wiring.settings.rules_path, wiring.clock),
        clock=wiring.clock,
    )


definition = ServiceDefinition[GatewaySettings, GatewayUnitOfWork](
    name="accounting-gateway",
    title="Coulisse accounting gateway",
    description=(
        "Turns billing, collections and customer events into balanced journal entries by rules "
        "that are data; FEC and plain-text ledger exports. Publishes `accounting.events`."
    ),
    settings_type=GatewaySettings,
    routers=[
        journal_api.router,
        reports_api.router,
        periods_api.router,
        suspense_api.router,
        mappings_api.router,
        exports_api.router,
    ],
    unit_of_work=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    consumers=consumers.consumers,
    metrics=metrics.books_metrics,
    commands=[bulk_post.post_events],
    openapi_tags=[
        {"name": "journal entries", "description": "Posted entries, manual entries, reversals."},
        {"name": "reports", "description": "Trial balance, general ledger and sub-ledgers."},
        {"name": "periods", "description": "Months of the books; closing."},
        {"name": "suspense", "description": "Events the rules could not post yet."},
        {"name": "mappings", "description": "The rules file in force."},
        {"name": "exports", "description": "FEC and plain-text journal."},
    ],
)
