"""The listener of supervisord's events counts a program's deaths, not the stops asked for."""

from __future__ import annotations

import json
from pathlib import Path

from coulisse.ops.restarts import Restarts


def event(pid: int, **fields: str) -> dict[str, str]:
    return {"processname": "kafka", "groupname": "kafka", "pid": str(pid), **fields}


def test_an_unexpected_exit_then_running_again_is_one_restart(tmp_path: Path) -> None:
    restarts = Restarts(tmp_path / "restarts.json")
    assert restarts.observe("PROCESS_STATE_EXITED", event(1, expected="0", from_state="RUNNING"))
    assert restarts.observe("PROCESS_STATE_RUNNING", event(2, from_state="STARTING"))
    # A stop asked for (`down`, supervisorctl) exits "expected" and is no restart.
    assert not restarts.observe("PROCESS_STATE_EXITED", event(2, expected="1"))
    assert not restarts.observe("PROCESS_STATE_RUNNING", event(3, from_state="STARTING"))
    restarts.write()
    [(name, record)] = json.loads((tmp_path / "restarts.json").read_text()).items()
    assert name == "kafka" and record["restarts"] == 1
    assert record["down_seconds"] >= 0 and record["last_back"] >= record["last_exit"]


def test_a_program_not_back_yet_says_so_and_the_count_survives_the_listener(
    tmp_path: Path,
) -> None:
    path = tmp_path / "restarts.json"
    first = Restarts(path)
    first.observe("PROCESS_STATE_EXITED", event(1, expected="0"))
    first.observe("PROCESS_STATE_RUNNING", event(2))
    first.observe("PROCESS_STATE_EXITED", event(2, expected="0"))
    first.write()
    again = Restarts.load(path)
    assert again.programs["kafka"]["restarts"] == 2
    assert "down_seconds" not in again.programs["kafka"]
