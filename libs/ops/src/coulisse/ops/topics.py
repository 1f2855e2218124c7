"""The topics of the system, created on purpose (the broker refuses to create them on first use)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from coulisse.contracts import topics as contract


class TopicLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def partitions(self) -> int: ...


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int = 6


TOPIC_ALREADY_EXISTS = 36
# As deploy/docker/kafka/create-topics.sh: retention is unlimited, because the reporting service
# rebuilds its read models from the topics and a dead-lettered event stays until dealt with.
TOPIC_CONFIGS = {"retention.ms": "-1", "min.insync.replicas": "1"}


def all_topics() -> list[Topic]:
    """Every event topic and one dead-letter topic per consumer group, without duplicates."""
    wanted: dict[str, Topic] = {}
    for topic in contract.TOPICS:
        wanted.setdefault(topic.name, Topic(topic.name, topic.partitions))
    partitions = max((t.partitions for t in wanted.values()), default=6)
    for group in contract.CONSUMER_GROUPS:
        name = contract.dlq_topic(group)
        wanted.setdefault(name, Topic(name, partitions))
    return list(wanted.values())


async def create_topics(
    bootstrap_servers: str, topics: Iterable[TopicLike] | None = None, *, timeout_ms: int = 30_000
) -> tuple[list[str], list[str]]:
    """Create what is missing (existing topics are left as they are).

    Returns (created, already existing); any other error raises.
    """
    wanted = list(topics) if topics is not None else all_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=timeout_ms)
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    t.name,
                    num_partitions=t.partitions,
                    replication_factor=1,
                    topic_configs=TOPIC_CONFIGS,
                )
                for t in wanted
            ],
            timeout_ms=timeout_ms,
        )
    finally:
        await admin.close()
    created: list[str] = []
    existing: list[str] = []
    failures: list[str] = []
    for name, code, message, *_ in response.topic_errors:
        if code == 0:
            created.append(name)
        elif code == TOPIC_ALREADY_EXISTS:
            existing.append(name)
        else:
            failures.append(f"{name}: error {code} {message or ''}".strip())
    if failures:
        raise RuntimeError("cannot create topics: " + "; ".join(failures))
    return created, existing
