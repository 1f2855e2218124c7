"""The one place where the customer service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coulisse.platform.service import ServiceDefinition
from coulisse.platform.settings import ServiceSettings

from .adapters.uow import CustomerUnitOfWork
from .config import CustomerSettings
from .entrypoints import customers_api, requests_api

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(
    sessions: async_sessionmaker[AsyncSession], settings: ServiceSettings
) -> Callable[[], CustomerUnitOfWork]:
    return lambda: CustomerUnitOfWork(sessions, service=settings.service_name)


definition = ServiceDefinition(
    name="customer",
    title="Coulisse customer service",
    description="Customers, contacts and customer requests (cases). Publishes `customer.events`.",
    settings_type=CustomerSettings,
    routers=[customers_api.router, requests_api.router],
    uow_builder=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    openapi_tags=[
        {"name": "customers", "description": "Who we sell to; GDPR erasure."},
        {"name": "requests", "description": "Customer requests with service-level deadlines."},
    ],
)
