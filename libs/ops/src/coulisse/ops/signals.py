"""What `coulisse status` shows of each running service's health signals, read from its
`/metrics` (the Prometheus text the platform exposes): outbox backlog, consumer lag, dead letters,
suspense, and 503 answers. docs/operations.md says what each one means and what to do."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

from coulisse.ops.services import Service


@dataclass(frozen=True)
class Signals:
    outbox_pending: int = 0
    outbox_oldest_seconds: float = 0.0
    lag: int | None = None
    """Summed over the partitions of the service's consumer group; None if it consumes nothing
    or Kafka did not answer."""
    dead_letters: int | None = None
    """Records on the group's dead-letter topic."""
    suspense: int | None = None
    """The gateway's open suspense items."""
    unavailable: int = 0
    """503 answers since the process started."""
    error: str | None = None
    """Why the metrics could not be read."""


def parse(text: str) -> Signals:
    values: dict[str, float] = defaultdict(float)
    seen: set[str] = set()
    unavailable = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            seen.add(sample.name)
            if sample.name == "coulisse_http_requests_total":
                if sample.labels.get("status") == "503":
                    unavailable += sample.value
            else:
                values[sample.name] += sample.value
    lag_read = "coulisse_consumer_lag" in seen or "coulisse_dead_letter_topic_records" in seen

    def count(name: str) -> int | None:
        return int(values[name]) if name in seen else None

    return Signals(
        outbox_pending=int(values["coulisse_outbox_pending"]),
        outbox_oldest_seconds=values["coulisse_outbox_oldest_pending_age_seconds"],
        lag=int(values["coulisse_consumer_lag"]) if lag_read else None,
        dead_letters=count("coulisse_dead_letter_topic_records"),
        suspense=count("coulisse_gateway_suspense_open"),
        unavailable=int(unavailable),
    )


async def read(client: httpx.AsyncClient, service: Service) -> Signals:
    try:
        response = await client.get(f"{service.base_url}/metrics")
    except httpx.HTTPError as exc:
        return Signals(error=f"unreachable ({type(exc).__name__})")
    if response.status_code != 200:
        return Signals(error=f"/metrics answered {response.status_code}")
    return parse(response.text)


def age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
