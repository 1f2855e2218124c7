from __future__ import annotations

from coulisse.ops.services import SERVICES, by_name
from coulisse.ops.topics import all_topics


def test_every_event_topic_and_one_dead_letter_topic_per_consumer_group() -> None:
    topics = {t.name: t.partitions for t in all_topics()}
    assert len(topics) == len(all_topics())
    for name in ("customer.events", "billing.events", "collections.events", "accounting.events"):
        assert topics[name] >= 1
    for group in ("billing", "collections", "accounting-gateway", "reporting"):
        assert f"{group}.dlq" in topics


def test_the_service_table() -> None:
    assert [s.port for s in SERVICES] == [8001, 8002, 8003, 8004, 8005]
    gateway = by_name("accounting-gateway")
    assert gateway.module == "coulisse.accounting_gateway"
    assert gateway.database == "coulisse_accounting_gateway"
    assert by_name("customer").implemented()
