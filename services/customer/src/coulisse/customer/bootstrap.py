"""The one place where the customer service is wired together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import typer

from coulisse.platform import db
from coulisse.platform.clock import SystemClock
from coulisse.platform.service import ServiceDefinition, Wiring, load_settings

from .adapters.uow import CustomerUnitOfWork
from .application import keys
from .config import CustomerSettings
from .entrypoints import customers_api, personal_data_api, requests_api

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(wiring: Wiring[CustomerSettings]) -> Callable[[], CustomerUnitOfWork]:
    keyring = wiring.settings.keyring()
    return lambda: CustomerUnitOfWork(
        wiring.sessions, service=wiring.settings.service_name, keyring=keyring, clock=wiring.clock
    )


def rewrap_keys() -> None:
    """Rewrap every customer's data key with the first master key (after a rotation)."""
    settings = load_settings(definition)

    async def run() -> int:
        engine = db.create_engine(settings.effective_database_url)
        try:
            factory = unit_of_work(Wiring(db.session_factory(engine), settings, SystemClock()))
            return await keys.rewrap_keys(factory)
        finally:
            await engine.dispose()

    done = asyncio.run(run())
    typer.echo(
        f"customer: {done} data key(s) rewrapped with master key {settings.keyring().current_id}"
    )


definition = ServiceDefinition[CustomerSettings, CustomerUnitOfWork](
    name="customer",
    title="Coulisse customer service",
    description="Customers, contacts and customer requests (cases). Publishes `customer.events`.",
    settings_type=CustomerSettings,
    routers=[customers_api.router, personal_data_api.router, requests_api.router],
    unit_of_work=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    openapi_tags=[
        {"name": "customers", "description": "Who we sell to; GDPR erasure."},
        {"name": "requests", "description": "Customer requests with service-level deadlines."},
    ],
    commands=[rewrap_keys],
)
