from __future__ import annotations

import base64
from pathlib import Path

from coulisse.ops.kafka import (
    KafkaNode,
    jars_ready,
    parse_properties,
    random_cluster_id,
    server_properties,
)
from coulisse.ops.paths import Layout


def test_a_single_combined_node_on_the_loopback() -> None:
    props = parse_properties(
        server_properties(port=19092, controller_port=19093, data_dir=Path("/data/kafka"))
    )
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == props["listeners"]
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == "/data/kafka"
    # --standalone formatting refuses a static voter list.
    assert "controller.quorum.voters" not in props


def test_sized_for_one_small_machine() -> None:
    props = parse_properties(
        server_properties(port=1, controller_port=2, data_dir=Path("/d"), partitions=6)
    )
    assert props["auto.create.topics.enable"] == "false"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["offsets.topic.num.partitions"] == "6"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "share.coordinator.state.topic.min.isr",
    ):
        assert props[key] == "1", key


def test_cluster_ids_look_like_kafka_uuids() -> None:
    ids = {random_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_jars_are_refetched_when_the_pom_changes(tmp_path: Path) -> None:
    paths = Layout(tmp_path, tmp_path / ".cache" / "run")
    paths.kafka_pom.parent.mkdir(parents=True)
    paths.kafka_pom.write_text("<project/>")
    assert not jars_ready(paths)
    paths.kafka_lib.mkdir(parents=True)
    import hashlib

    (paths.kafka_lib / ".pom-sha256").write_text(hashlib.sha256(b"<project/>").hexdigest())
    assert jars_ready(paths)
    paths.kafka_pom.write_text("<project><!-- new version --></project>")
    assert not jars_ready(paths)


def test_a_stale_pid_file_is_not_a_running_broker(tmp_path: Path) -> None:
    node = KafkaNode(tmp_path / "kafka", paths=Layout(tmp_path, tmp_path / "run"))
    node.area.mkdir()
    # Our own pid is alive but is not a broker: the command line decides.
    node.pid_file.write_text("1\n")
    assert node.pid() is None
    assert node.stop() is False
    assert not node.pid_file.exists()
