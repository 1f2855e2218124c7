"""Where a cluster lives when PostgreSQL's user cannot enter the checkout, and who cleans it."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coulisse.ops import procs
from coulisse.ops.paths import Layout
from coulisse.ops.postgres import PostgresCluster, PostgresError, server_can_enter
from coulisse.ops.stack import Stack, State
from coulisse.ops.testing import clean_stale_sessions


def checkout(root: Path) -> Layout:
    return Layout(root, root / ".cache" / "run")


def make_private(folder: Path) -> Path:
    """What a start makes: a 0700 folder of the server's user."""
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    return folder


def test_each_checkout_has_its_own_private_folder() -> None:
    first = checkout(Path("/home/a/coulisse")).private_dir("postgres")
    second = checkout(Path("/home/b/coulisse")).private_dir("postgres")
    assert first != second
    for folder in (first, second):
        assert folder.parent == Path(tempfile.gettempdir())
        assert folder.name.startswith("coulisse-") and folder.name.endswith("-postgres")
    assert checkout(Path("/home/a/coulisse")).private_dir("postgres") == first


def test_each_run_folder_of_a_checkout_has_its_own_cluster() -> None:
    root = Path("/home/a/coulisse")
    default = Stack(checkout(root), State()).postgres.private
    other = Stack(Layout(root, root / "elsewhere"), State()).postgres.private
    assert default is not None and other is not None and default != other


def test_as_root_a_0700_folder_is_not_reachable(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root runs PostgreSQL as another user")
    private_home = tmp_path / "home"
    private_home.mkdir(mode=0o700)
    private_home.chmod(0o700)
    assert not server_can_enter(private_home / "coulisse")
    assert server_can_enter(Path(tempfile.gettempdir()))


def test_a_recorded_private_folder_is_found_again(tmp_path: Path) -> None:
    private = tmp_path / "private"
    nominal = tmp_path / "run" / "postgres"
    nominal.parent.mkdir()
    nominal.symlink_to(private)
    cluster = PostgresCluster(nominal, private=private, bin_dir=tmp_path)
    assert cluster.area == private and cluster.in_private_folder
    make_private(private)
    cluster.remove_files()
    assert not private.exists() and not nominal.is_symlink()


def test_stale_sessions_take_their_private_folders_with_them(tmp_path: Path) -> None:
    paths = checkout(tmp_path / "coulisse")
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    sessions = {"dead": finished.pid, "alive": os.getpid()}
    privates: dict[str, Path] = {}
    for name, owner in sessions.items():
        folder = paths.test_infra / name
        procs.write_pid(folder / "owner.pid", owner)
        privates[name] = make_private(paths.private_dir(f"test-{name}"))
        (folder / "postgres").symlink_to(privates[name])
    # Its session folder was deleted by hand: nothing points at it any more.
    privates["orphan"] = make_private(paths.private_dir("test-orphan"))
    # Somebody else's link with a name like ours: neither it nor its target is touched.
    planted = paths.private_dir("test-planted")
    target = tmp_path / "not-ours"
    (target / "data").mkdir(parents=True)
    planted.symlink_to(target)
    try:
        clean_stale_sessions(paths)
        assert not (paths.test_infra / "dead").exists() and not privates["dead"].exists()
        assert not privates["orphan"].exists()
        assert (paths.test_infra / "alive" / "postgres").resolve() == privates["alive"]
        assert privates["alive"].is_dir()
        assert planted.is_symlink() and (target / "data").is_dir()
    finally:
        planted.unlink()
        for private in privates.values():
            if private.is_dir():
                private.rmdir()


def test_a_private_folder_somebody_else_made_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "not-ours"
    target.mkdir()
    private = tmp_path / "private"
    private.symlink_to(target)
    nominal = tmp_path / "run" / "postgres"
    nominal.parent.mkdir()
    nominal.symlink_to(private)
    cluster = PostgresCluster(nominal, private=private, bin_dir=tmp_path)
    with pytest.raises(PostgresError, match="not a folder of the server's user"):
        cluster.init()
    assert list(target.iterdir()) == []
