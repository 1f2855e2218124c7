"""The one place where the billing service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coulisse.platform.service import ServiceDefinition, Wiring

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


def unit_of_work(wiring: Wiring[BillingSettings]) -> Callable[[], BillingUnitOfWork]:
    return lambda: BillingUnitOfWork(
        wiring.sessions, service=wiring.settings.service_name, clock=wiring.clock
    )


definition = ServiceDefinition[BillingSettings, BillingUnitOfWork](
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
    unit_of_work=unit_of_work,
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
