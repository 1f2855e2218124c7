"""Kafka and PostgreSQL as `coulisse up` runs them, under supervisord, in a stack of their own on
free ports: killed with SIGKILL, each is back by itself on the same data, and the restart is
counted; once supervisord itself is gone, both are still stopped by their pid files."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from coulisse.ops import procs
from coulisse.ops.kafka import PROGRAM as KAFKA
from coulisse.ops.postgres import PROGRAM as POSTGRES
from coulisse.ops.stack import Stack
from coulisse.ops.testing import private_stack
from coulisse.ops.topics import Topic, create_topics

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def stack() -> Iterator[Stack]:
    with private_stack("supervised") as stack:
        if not stack.postgres.available:
            pytest.skip("no PostgreSQL server binaries here")
        yield stack


async def back_with_a_new_pid(stack: Stack, program: str, old: int, port: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        info = stack.supervisor.processes().get(program, {})
        pid = int(info.get("pid") or 0)
        if info.get("statename") == "RUNNING" and pid not in (0, old) and procs.port_open(port):
            return pid
        await asyncio.sleep(0.2)
    raise AssertionError(f"{program} did not come back: {stack.supervisor.processes()}")


async def read_back(bootstrap: str, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek(partition, 0)
        async with asyncio.timeout(60):
            # A broker just restarted may answer empty fetches before its partition is led.
            while not (batches := await consumer.getmany(partition, timeout_ms=1000)):
                pass
        return [record.value for record in batches.get(partition, []) if record.value]
    finally:
        await consumer.stop()


async def test_killed_kafka_and_postgres_come_back_on_the_same_data(stack: Stack) -> None:
    await asyncio.to_thread(stack.start_infrastructure)
    kafka, postgres, supervisor = stack.kafka, stack.postgres, stack.supervisor
    topic = "supervised.probe"
    await create_topics(kafka.bootstrap_servers, [Topic(topic, partitions=1)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"kept", key=b"k")
    finally:
        await producer.stop()
    connection = await asyncpg.connect(postgres.admin_url)
    try:
        await connection.execute("CREATE TABLE kept (note text)")
        await connection.execute("INSERT INTO kept VALUES ('still here')")
    finally:
        await connection.close()

    # up again changes nothing: the same processes
    running = {name: info["pid"] for name, info in supervisor.processes().items()}
    await asyncio.to_thread(stack.start_infrastructure)
    assert {name: info["pid"] for name, info in supervisor.processes().items()} == running

    for program, port in ((KAFKA, kafka.port), (POSTGRES, postgres.port)):
        old = int(supervisor.processes()[program]["pid"])
        psutil.Process(old).kill()
        await back_with_a_new_pid(stack, program, old, port)

    assert await read_back(kafka.bootstrap_servers, topic) == [b"kept"]
    connection = await asyncpg.connect(postgres.admin_url)
    try:
        assert await connection.fetchval("SELECT note FROM kept") == "still here"
    finally:
        await connection.close()
    # The broker's pid file follows its restarts (pidexec): `down` can use it.
    assert kafka.pid() == supervisor.processes()[KAFKA]["pid"]
    counted = supervisor.restarts()
    for program in (KAFKA, POSTGRES):
        assert counted[program]["restarts"] == 1, counted
        assert counted[program]["down_seconds"] >= 0

    # supervisord gone (killed): the broker and the cluster are still stopped by their pid files.
    supervisor_pid = supervisor.pid()
    assert supervisor_pid is not None
    psutil.Process(supervisor_pid).kill()
    assert procs.wait_exit(supervisor_pid, str(supervisor.conf), 10)
    assert kafka.pid() is not None and postgres.pid() is not None
    assert kafka.stop() is True and postgres.stop() is True
    assert kafka.pid() is None and postgres.pid() is None
