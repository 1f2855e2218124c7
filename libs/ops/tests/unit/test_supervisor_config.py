from __future__ import annotations

from pathlib import Path

import pytest
from supervisor.options import ServerOptions

from coulisse.ops.supervise import Program, render_config


def program(**environment: str) -> Program:
    return Program(
        name="customer",
        command=["/venv/bin/python", "-m", "coulisse.customer"],
        environment=environment,
        directory=Path("/repo"),
    )


def test_supervisord_reads_the_generated_config(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": "postgresql+asyncpg://u:p%40ss@127.0.0.1:55432/coulisse_customer",
        "HTTP_PORT": "8001",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092,127.0.0.1:9094",
    }
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "supervisord.conf"
    conf.write_text(render_config(tmp_path, [program(**env)]))
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    [group] = options.process_group_configs
    [process] = group.process_configs
    assert process.name == "customer"
    assert process.command == "/venv/bin/python -m coulisse.customer"
    # Values survive supervisord's %-expansion and comma splitting unchanged.
    assert process.environment == env
    assert process.autorestart is not False
    assert process.stdout_logfile == str(tmp_path / "logs" / "customer.log")
    assert options.pidfile == str(tmp_path / "supervisord.pid")


def test_values_supervisord_cannot_carry_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SECRET"):
        render_config(tmp_path, [program(SECRET='a"b')])
