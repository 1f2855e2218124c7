"""The test infrastructure itself: a real broker and a real PostgreSQL, as the fixtures give them."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
from pathlib import Path
from uuid import uuid4

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from coulisse.ops import procs
from coulisse.ops.paths import Layout, layout
from coulisse.ops.postgres import PostgresCluster, create_database, ensure_service_database
from coulisse.ops.stack import Stack, State
from coulisse.ops.testing import DatabaseFactory
from coulisse.ops.topics import Topic, all_topics, create_topics

pytestmark = pytest.mark.integration


async def test_the_broker_has_the_topics_and_carries_messages(kafka_bootstrap: str) -> None:
    # A private topic: the system's topics are shared with tests that parse every event.
    topic = f"ops-test-{uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [Topic(topic, partitions=3)])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=f"ops-test-{uuid4()}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        assert {t.name for t in all_topics()} <= await consumer.topics()
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait(topic, b'{"hello": "kafka"}', key=b"k1")
        finally:
            await producer.stop()
        async with asyncio.timeout(30):
            record = await consumer.getone()
        assert (record.key, record.value) == (b"k1", b'{"hello": "kafka"}')
        await consumer.commit()
    finally:
        await consumer.stop()


async def test_system_topics_keep_their_events_forever(kafka_bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "customer.events", {"retention.ms": None})]
        )
    finally:
        await admin.close()
    [(error, _, _, name, entries)] = response.resources
    assert (error, name) == (0, "customer.events")
    assert [(entry[0], entry[1]) for entry in entries] == [("retention.ms", "-1")]


async def test_a_fresh_database_per_test(make_database: DatabaseFactory) -> None:
    first, second = await make_database(), await make_database()
    assert first != second and first.startswith("postgresql+asyncpg://")
    conn = await asyncpg.connect(first.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname='public'") == 0
        await conn.execute("CREATE TABLE ledger (amount numeric(12, 2))")
        await conn.execute("INSERT INTO ledger VALUES (12.34)")
        assert str(await conn.fetchval("SELECT sum(amount) FROM ledger")) == "12.34"
    finally:
        await conn.close()


async def test_a_service_database_is_owned_by_its_role(postgres_admin_url: str) -> None:
    url = await ensure_service_database(postgres_admin_url, "accounting_gateway")
    assert url == await ensure_service_database(postgres_admin_url, "accounting_gateway")
    assert "/coulisse_accounting_gateway" in url
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        assert await conn.fetchval("SELECT current_user") == "coulisse_accounting_gateway"
        await conn.execute("CREATE TABLE IF NOT EXISTS probe (id int)")
    finally:
        await conn.close()
    wrong = url.replace(url.split(":")[2].split("@")[0], "wrong-password")
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(wrong.replace("+asyncpg", ""))


@pytest.mark.slow
def test_a_cluster_is_reused_then_stopped_by_its_pid() -> None:
    # Under the checkout, not pytest's private tmp folder: the postgres user must reach it.
    paths = layout()
    area = paths.test_infra / f"lifecycle-{uuid4().hex[:8]}"
    # An owner, so that a concurrent session does not take it for a stale leftover.
    procs.write_pid(area / "owner.pid", os.getpid())
    cluster = PostgresCluster(
        area / "postgres",
        port=procs.free_port(),
        durable=False,
        private=paths.private_dir(f"test-{area.name}"),
    )
    if not cluster.available:
        pytest.skip("no PostgreSQL server binaries here")
    try:
        assert cluster.start() is True
        pid = cluster.pid()
        assert pid is not None
        assert cluster.start() is False and cluster.pid() == pid
    finally:
        cluster.stop()
        assert cluster.pid() is None and not procs.port_open(cluster.port)
        cluster.remove_files()
        shutil.rmtree(area, ignore_errors=True)


def processes_using(folder: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if str(folder) in " ".join(process.info["cmdline"] or ()):
            found.append(int(process.info["pid"]))
    return found


@pytest.mark.slow
async def test_a_checkout_the_postgres_user_cannot_enter(tmp_path: Path) -> None:
    """A clone in a 0700 home folder, run as root: the cluster moves to a private folder."""
    if os.geteuid() != 0:
        pytest.skip("only root runs PostgreSQL as another user")
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    home.chmod(0o700)
    paths = Layout(home / "coulisse", home / "coulisse" / ".cache" / "run")
    cluster = Stack(paths, State(postgres_port=procs.free_port())).postgres
    if not cluster.available:
        pytest.skip("no PostgreSQL server binaries here")
    cluster.durable = False
    private = paths.private_dir("postgres")
    nominal = paths.run / "postgres"
    try:
        assert await asyncio.to_thread(cluster.start) is True
        assert cluster.area == private and nominal.readlink() == private
        info = private.stat()
        assert info.st_uid == pwd.getpwnam("postgres").pw_uid
        assert info.st_mode & 0o777 == 0o700
        assert (paths.logs / "postgres.log").resolve() == private / "postgres.log"

        # What `status`, `down` and the next `up` build: they follow the link.
        found = Stack(paths, State(postgres_port=cluster.port)).postgres
        pid = cluster.pid()
        assert pid is not None and found.area == private and found.pid() == pid
        assert await asyncio.to_thread(found.start) is False

        url = await create_database(found.admin_url, "probe_0700")
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            assert await conn.fetchval("SELECT current_database()") == "probe_0700"
        finally:
            await conn.close()
        assert await asyncio.to_thread(found.stop) is True
    finally:
        await asyncio.to_thread(cluster.stop)
    assert cluster.pid() is None and not procs.port_open(cluster.port)
    assert processes_using(private) == []
    cluster.remove_files()
    assert not private.exists() and not nominal.is_symlink()
