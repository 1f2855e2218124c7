"""The one place where the collections service is wired together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from coulisse.platform.service import Runtime, ServiceDefinition, Wiring, Worker

from .adapters.uow import CollectionsUnitOfWork
from .config import CollectionsSettings
from .entrypoints import (
    charges_api,
    consumers,
    customers_api,
    daily_run,
    disputes_api,
    dunning_api,
    notice_sender,
    notices_api,
    plans_api,
    promises_api,
    worklist_api,
    write_offs_api,
)

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(wiring: Wiring[CollectionsSettings]) -> Callable[[], CollectionsUnitOfWork]:
    return lambda: CollectionsUnitOfWork(
        wiring.sessions, service=wiring.settings.service_name, clock=wiring.clock
    )


def background_workers(
    runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork],
) -> Sequence[Worker]:
    """The notice sender (with an SMTP server) and the daily run (with a time of day)."""
    return [*notice_sender.workers(runtime), *daily_run.workers(runtime)]


definition = ServiceDefinition[CollectionsSettings, CollectionsUnitOfWork](
    name="collections",
    title="Coulisse collections service",
    description=(
        "Chases what customers owe: dunning policy and runs, notices and late-payment fees, "
        "disputes, promises to pay, payment plans, insolvency, doubtful receivables and "
        "write-offs. Publishes `collections.events`; consumes `billing.events` and "
        "`customer.events`."
    ),
    settings_type=CollectionsSettings,
    routers=[
        customers_api.router,
        dunning_api.router,
        notices_api.router,
        disputes_api.router,
        promises_api.router,
        plans_api.router,
        write_offs_api.router,
        charges_api.router,
        worklist_api.router,
    ],
    unit_of_work=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    consumers=consumers.consumers,
    workers=background_workers,
    openapi_tags=[
        {"name": "customers", "description": "What a customer owes, and how they are dunned."},
        {"name": "dunning", "description": "The policy and the runs, in date order."},
        {"name": "notices", "description": "One per customer and level per run."},
        {"name": "disputes", "description": "A disputed invoice is neither dunned nor charged."},
        {"name": "promises", "description": "A standing promise holds the overdue invoices."},
        {"name": "payment plans", "description": "Met instalments hold their invoices."},
        {"name": "write-offs", "description": "What will not be collected."},
        {
            "name": "charges",
            "description": "Waivers, the reference rates and the default late-payment rate.",
        },
        {"name": "worklist", "description": "Who the call center calls, and why."},
    ],
)
