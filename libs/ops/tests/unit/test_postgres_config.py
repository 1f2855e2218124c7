from __future__ import annotations

from pathlib import Path

import pytest

from coulisse.ops.postgres import (
    PostgresCluster,
    async_url,
    conf_text,
    find_bin_dir,
    service_password,
)

ADMIN = "postgresql://postgres:s3cret@127.0.0.1:55432/postgres"


def test_only_test_clusters_skip_disk_flushes() -> None:
    durable = conf_text(port=5, socket_dir=Path("/s"), durable=True)
    fast = conf_text(port=5, socket_dir=Path("/s"), durable=False)
    assert "fsync" not in durable
    assert "fsync = off" in fast
    for text in (durable, fast):
        assert "listen_addresses = '127.0.0.1'" in text
        assert "unix_socket_directories = '/s'" in text


def test_async_url_keeps_the_server_and_changes_the_database() -> None:
    assert async_url(ADMIN, "t_1") == "postgresql+asyncpg://postgres:s3cret@127.0.0.1:55432/t_1"


def test_service_passwords_are_stable_per_cluster_and_distinct_per_service() -> None:
    assert service_password(ADMIN, "billing") == service_password(ADMIN, "billing")
    assert service_password(ADMIN, "billing") != service_password(ADMIN, "customer")
    other = ADMIN.replace("s3cret", "other")
    assert service_password(ADMIN, "billing") != service_password(other, "billing")


def test_socket_folder_stays_short_enough(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    cluster = PostgresCluster(deep, bin_dir=tmp_path)
    assert len(str(cluster.socket_dir)) <= 90
    assert PostgresCluster(Path("/a/b"), bin_dir=tmp_path).socket_dir == Path("/a/b/sock")


def test_binaries_can_be_pointed_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("")
    monkeypatch.setenv("COULISSE_PG_BIN", str(tmp_path))
    assert find_bin_dir() == tmp_path
