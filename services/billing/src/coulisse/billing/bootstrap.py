"""The one place where the billing service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.service import ServiceDefinition
from coulisse.platform.settings import ServiceSettings

from .adapters.uow import BillingUnitOfWork
from .config import BillingSettings
from .entrypoints import (
    consumers,
    credit_notes_api,
    customers_api,
    invoices_api,
    payments_api,
    refunds_api,
)

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings
) -> Callable[[], BillingUnitOfWork]:
    return lambda: BillingUnitOfWork(sessions, service=settings.service_name)


definition = ServiceDefinition(
    name="billing",
    title="Coulisse billing service",
    description=(
        "Invoices, credit notes, payments and their allocations, customer credit and refunds. "
        "Publishes `billing.events`; consumes `customer.events` and `collections.events`."
    ),
    settings_type=BillingSettings,
    routers=[
        invoices_api.router,
        credit_notes_api.router,
        payments_api.router,
        refunds_api.router,
        customers_api.router,
    ],
    uow_builder=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    consumers=consumers.consumers,
    openapi_tags=[
        {"name": "invoices", "description": "Gapless numbering; immutable once issued."},
        {"name": "credit notes", "description": "The only correction of an issued invoice."},
        {"name": "payments", "description": "Allocated explicitly or oldest due first."},
        {"name": "refunds", "description": "Out of the customer's credit, never more."},
        {"name": "balances", "description": "What a customer owes, or is owed."},
    ],
)
