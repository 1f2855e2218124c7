"""The gateway's own Prometheus families, added to the platform's at `GET /metrics`."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client.core import GaugeMetricFamily, Metric

from coulisse.platform.metrics import age_seconds
from coulisse.platform.service import Runtime

from ..adapters.uow import GatewayUnitOfWork
from ..application.monitoring import books_signals
from ..config import GatewaySettings


async def books_metrics(runtime: Runtime[GatewaySettings, GatewayUnitOfWork]) -> Sequence[Metric]:
    async with runtime.sessions() as session:
        signals = await books_signals(session)
    entries = GaugeMetricFamily(
        "coulisse_gateway_journal_entries",
        "Entries posted (numbered) in the books, by journal, all fiscal years.",
        labels=["journal"],
    )
    for journal, count in sorted(signals.entries_by_journal.items()):
        entries.add_metric([journal], count)
    return [
        GaugeMetricFamily(
            "coulisse_gateway_suspense_open",
            "Events the rules could not post, waiting in suspense.",
            value=signals.suspense_open,
        ),
        GaugeMetricFamily(
            "coulisse_gateway_suspense_oldest_age_seconds",
            "How long the oldest open suspense item has waited (0 when none is open).",
            value=age_seconds(signals.oldest_open_suspended_at, runtime.clock),
        ),
        entries,
    ]
