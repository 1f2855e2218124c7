"""The one place where the customer service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coulisse.platform.service import ServiceDefinition, Wiring

from .adapters.uow import CustomerUnitOfWork
from .config import CustomerSettings
from .entrypoints import customers_api, requests_api

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(wiring: Wiring[CustomerSettings]) -> Callable[[], CustomerUnitOfWork]:
    return lambda: CustomerUnitOfWork(
        wiring.sessions, service=wiring.settings.service_name, clock=wiring.clock
    )


definition = ServiceDefinition[CustomerSettings, CustomerUnitOfWork](
    name="customer",
    title="Coulisse customer service",
    description="Customers, contacts and customer requests (cases). Publishes `customer.events`.",
    settings_type=CustomerSettings,
    routers=[customers_api.router, requests_api.router],
    unit_of_work=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    openapi_tags=[
        {"name": "customers", "description": "Who we sell to; GDPR erasure."},
        {"name": "requests", "description": "Customer requests with service-level deadlines."},
    ],
)
