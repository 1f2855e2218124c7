"""The one place where the reporting service is wired together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coulisse.platform.service import ServiceDefinition, Wiring

from .adapters.uow import ReportingUnitOfWork
from .config import ReportingSettings
from .entrypoints import (
    admin_api,
    consumers,
    customers_api,
    dashboard,
    rebuilder,
    report_lists_api,
    reports_api,
    streams_api,
)

SERVICE_ROOT = Path(__file__).resolve().parents[3]


def unit_of_work(wiring: Wiring[ReportingSettings]) -> Callable[[], ReportingUnitOfWork]:
    return lambda: ReportingUnitOfWork(
        wiring.sessions, service=wiring.settings.service_name, clock=wiring.clock
    )


definition = ServiceDefinition[ReportingSettings, ReportingUnitOfWork](
    name="reporting",
    title="Coulisse reporting service",
    description=(
        "Read models of every topic: a customer's 360° view and timeline, live event streams "
        "(Server-Sent Events), reports (aged receivables, DSO, reconciliation with the books, "
        "refund lead time, the back-office pulse), and rebuilding the read models from the "
        "topics. Consumes "
        "`customer.events`, `billing.events`, `collections.events` and `accounting.events`; "
        "publishes nothing."
    ),
    settings_type=ReportingSettings,
    routers=[
        customers_api.router,
        streams_api.router,
        reports_api.router,
        report_lists_api.router,
        admin_api.router,
        dashboard.router,
    ],
    unit_of_work=unit_of_work,
    alembic_ini=SERVICE_ROOT / "alembic.ini",
    consumers=consumers.consumers,
    workers=rebuilder.workers,
    commands=[rebuilder.rebuild],
    openapi_tags=[
        {"name": "customers", "description": "A customer's 360° view and timeline."},
        {"name": "streams", "description": "Events as they are read, as Server-Sent Events."},
        {
            "name": "reports",
            "description": "Aged receivables, DSO, reconciliation, refund lead time, the pulse "
            "and the lists behind it.",
        },
        {"name": "admin", "description": "Rebuilding the read model from the topics."},
    ],
)
