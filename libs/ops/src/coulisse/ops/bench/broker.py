"""The broker's side of the benchmark: end and committed offsets, a lag poller that runs before
the gateway starts, and the raw produce→consume limit of the machine."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


class Offsets:
    """One long-lived, group-less consumer and admin client to read end and committed offsets."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> Offsets:
        await self._consumer.start()
        await self._admin.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin.close()
        await self._consumer.stop()

    async def end(self, topic: str) -> dict[TopicPartition, int]:
        partitions = self._consumer.partitions_for_topic(topic)
        while not partitions:
            # A group-less consumer without assignment learns topics only when asked.
            await self._consumer._client.force_metadata_update()
            partitions = self._consumer.partitions_for_topic(topic)
        ends = await self._consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return dict(ends)

    async def lag(self, group: str, topic: str) -> int:
        ends = await self.end(topic)
        committed = await self._admin.list_consumer_group_offsets(group)
        lag = 0
        for partition, end in ends.items():
            meta = committed.get(partition)
            lag += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
        return lag

    async def group_lag(self, group: str) -> dict[str, int]:
        """The group's lag on each topic it has committed offsets on (the topics it reads)."""
        committed = await self._admin.list_consumer_group_offsets(group)
        lags: dict[str, int] = {}
        for topic in sorted({partition.topic for partition in committed}):
            lag = 0
            for partition, end in (await self.end(topic)).items():
                meta = committed.get(partition)
                lag += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
            lags[topic] = lag
        return lags

    async def wait_groups_idle(self, groups: Sequence[str], timeout: float) -> float:
        """Seconds until every group has committed everything of every topic it reads."""
        started = time.monotonic()
        while True:
            behind = {}
            for group in groups:
                lags = {topic: lag for topic, lag in (await self.group_lag(group)).items() if lag}
                if lags:
                    behind[group] = lags
            if not behind:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"consumer groups still behind after {timeout} s: {behind}")
            await asyncio.sleep(0.2)

    async def wait_drained(self, group: str, topic: str, timeout: float) -> float:
        """Seconds until the group has committed everything of `topic`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if await self.lag(group, topic) == 0:
                return time.monotonic() - started
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{group} still lags on {topic} after {timeout} s")


def appended(before: dict[TopicPartition, int], after: dict[TopicPartition, int]) -> int:
    """Records appended to a topic between two readings of its end offsets."""
    return sum(end - before.get(partition, 0) for partition, end in after.items())


async def read_all(
    offsets: Offsets, bootstrap: str, topic: str, since: dict[TopicPartition, int]
) -> list[Any]:
    """Every record appended to `topic` after the `since` offsets, up to its current end."""
    ends = await offsets.end(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        for partition in ends:
            consumer.seek(partition, since.get(partition, 0))
        records: list[Any] = []
        remaining = {p for p, end in ends.items() if end > since.get(p, 0)}
        while remaining:
            batches = await consumer.getmany(timeout_ms=500)
            for partition, batch in batches.items():
                records.extend(batch)
                if batch and batch[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
        return records
    finally:
        await consumer.stop()


@dataclass
class LagReading:
    seconds: float
    """Since the poller's start, on the client's monotonic clock."""
    lag: int


class LagPoller:
    """Polls a group's lag from before the consumer starts until it reaches zero: the drain seen
    from the broker (offsets are committed after the posting transaction), as a cross-check of
    the database's commit timestamps."""

    def __init__(self, offsets: Offsets, group: str, topic: str, interval: float = 0.02) -> None:
        self.offsets = offsets
        self.group = group
        self.topic = topic
        self.interval = interval
        self.readings: list[LagReading] = []
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0

    async def __aenter__(self) -> LagPoller:
        self._started = time.monotonic()
        self.readings.append(LagReading(0.0, await self.offsets.lag(self.group, self.topic)))
        self._task = asyncio.create_task(self._poll())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _poll(self) -> None:
        while True:
            lag = await self.offsets.lag(self.group, self.topic)
            self.readings.append(LagReading(time.monotonic() - self._started, lag))
            if lag == 0:
                return
            await asyncio.sleep(self.interval)

    async def drained(self, timeout: float) -> None:
        assert self._task is not None
        async with asyncio.timeout(timeout):
            await asyncio.shield(self._task)

    def summary(self) -> dict[str, Any]:
        first = self.readings[0].lag
        moved = next((r.seconds for r in self.readings if r.lag < first), None)
        zero = next((r.seconds for r in self.readings if r.lag == 0), None)
        return {
            "lag_at_start": first,
            "start_to_first_commit_s": None if moved is None else round(moved, 3),
            "start_to_zero_lag_s": None if zero is None else round(zero, 3),
            "readings": len(self.readings),
            "poll_interval_s": self.interval,
        }


async def raw_kafka(bootstrap: str, messages: int, size: int) -> dict[str, Any]:
    """aiokafka producing `messages` records of `size` bytes (idempotent, acks=all, 6
    partitions, as the relay does) while a consumer group reads them: seconds from the first
    send to the last record read."""
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()
    payload = b"x" * size
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=topic
    )
    await producer.start()
    await consumer.start()
    try:
        # Before the clock starts, every partition has a leader (one record each, acknowledged)
        # and the group has joined: the limit is the data path, not the topic's creation.
        partitions = 6
        for partition in range(partitions):
            await producer.send_and_wait(topic, b"warm-up", partition=partition)
        consumed = 0
        while not consumer.assignment():
            batches = await consumer.getmany(timeout_ms=100)
            consumed += sum(len(batch) for batch in batches.values())

        async def consume() -> None:
            nonlocal consumed
            while consumed < messages + partitions:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                consumed += sum(len(batch) for batch in batches.values())

        started = time.monotonic()
        reading = asyncio.create_task(consume())
        deliveries = [
            await producer.send(topic, payload, key=str(i % 50).encode()) for i in range(messages)
        ]
        await asyncio.gather(*deliveries)
        await reading
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
        await consumer.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topic])
        except Exception:  # a leftover topic is harmless; the measurement stands
            pass
        finally:
            await admin.close()
    return {"messages": messages, "bytes_each": size, "seconds": elapsed}
