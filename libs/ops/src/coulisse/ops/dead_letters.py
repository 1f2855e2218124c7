"""What waits on the dead-letter topics (`<group>.dlq`): each record's headers say which event,
why it failed, after how many attempts, where it was read, and the trace it belongs to.

Headers only: a record's value is the event itself, which may carry sealed personal data.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from coulisse.contracts.topics import dlq_topic
from coulisse.platform.kafka import decode_headers


@dataclass(frozen=True)
class DeadLetter:
    group: str
    partition: int
    offset: int
    failed_at: str
    attempts: str
    error: str
    event_type: str
    event_id: str
    source: str
    """`topic/partition@offset` where the consumer read it."""
    trace_id: str | None


def from_headers(group: str, partition: int, offset: int, headers: dict[str, str]) -> DeadLetter:
    traceparent = headers.get("traceparent", "")
    parts = traceparent.split("-")
    return DeadLetter(
        group=group,
        partition=partition,
        offset=offset,
        failed_at=headers.get("dlq-failed-at", "?"),
        attempts=headers.get("dlq-attempts", "?"),
        error=headers.get("dlq-error", "?"),
        event_type=headers.get("ce_type", "?"),
        event_id=headers.get("ce_id", "?"),
        source=(
            f"{headers.get('dlq-source-topic', '?')}/{headers.get('dlq-source-partition', '?')}"
            f"@{headers.get('dlq-source-offset', '?')}"
        ),
        trace_id=parts[1] if len(parts) == 4 else None,
    )


async def read(bootstrap: str, group: str, timeout: float = 10.0) -> list[DeadLetter]:
    """Every record on the group's dead-letter topic, oldest first (read without a group)."""
    topic = dlq_topic(group)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(topic, p) for p in cluster.partitions_for_topic(topic) or ()]
        if not partitions:
            return []
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        wanted = {tp: ends[tp] for tp in partitions if ends[tp] > starts[tp]}
        if not wanted:
            return []
        consumer.assign(list(wanted))
        await consumer.seek_to_beginning(*wanted)
        found: list[DeadLetter] = []

        async def behind() -> bool:
            for tp, end in wanted.items():
                if await consumer.position(tp) < end:
                    return True
            return False

        async with asyncio.timeout(timeout):
            while await behind():
                batches = await consumer.getmany(timeout_ms=500)
                for tp, records in batches.items():
                    found += [
                        from_headers(group, tp.partition, r.offset, decode_headers(r.headers))
                        for r in records
                        if r.offset < wanted[tp]
                    ]
        return sorted(found, key=lambda letter: (letter.failed_at, letter.offset))
    finally:
        await consumer.stop()
