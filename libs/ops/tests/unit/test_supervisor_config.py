from __future__ import annotations

import pwd
import signal
from pathlib import Path

import pytest
from supervisor.events import EventTypes
from supervisor.options import ServerOptions

from coulisse.ops import restarts
from coulisse.ops.supervise import (
    INFRASTRUCTURE_PRIORITY,
    Program,
    kept_sections,
    render_config,
    section_name,
)


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


def test_postgres_and_kafka_start_first_and_stop_last(tmp_path: Path) -> None:
    postgres = Program(
        name="postgres",
        command=["/usr/lib/postgresql/15/bin/postgres", "-D", "/run/postgres/data"],
        environment={},
        directory=Path("/"),
        priority=INFRASTRUCTURE_PRIORITY,
        user="postgres",
        stop_signal="INT",
        stop_wait=30,
        start_retries=20,
        stop_as_group=False,
    )
    listener = restarts.program(tmp_path, Path("/repo"))
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "supervisord.conf"
    conf.write_text(render_config(tmp_path, [listener, postgres, program()]))
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    groups = {group.name: group for group in options.process_group_configs}
    [server] = groups["postgres"].process_configs
    [service] = groups["customer"].process_configs
    # supervisord starts the lowest priority first and stops it last.
    assert groups["restarts"].priority < groups["postgres"].priority < groups["customer"].priority
    assert server.uid == pwd.getpwnam("postgres").pw_uid
    assert server.stopsignal == signal.SIGINT and server.stopasgroup is False
    assert server.startretries == 20 and service.startretries == 5
    [events] = groups["restarts"].process_configs
    assert set(groups["restarts"].pool_events) == {
        EventTypes.PROCESS_STATE_EXITED,
        EventTypes.PROCESS_STATE_RUNNING,
    }
    assert events.stderr_logfile == str(tmp_path / "logs" / "restarts.log")


def test_a_partial_config_keeps_the_programs_it_does_not_name(tmp_path: Path) -> None:
    older = render_config(tmp_path, [program(HTTP_PORT="8001", DATABASE_URL="x%40y")])
    kafka = Program(
        name="kafka", command=["/usr/bin/java", "kafka.Kafka"], environment={}, directory=tmp_path
    )
    kept = kept_sections(older, {section_name(kafka)})
    assert "[program:customer]" in kept and "[program:kafka]" not in kept
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "supervisord.conf"
    conf.write_text(render_config(tmp_path, [kafka]) + kept)
    options = ServerOptions()
    options.configfile = str(conf)
    options.process_config(do_usage=False)
    found = {g.name: g.process_configs[0] for g in options.process_group_configs}
    assert set(found) == {"customer", "kafka"}
    # Written back as read: supervisord's %-escapes survive.
    assert found["customer"].environment["DATABASE_URL"] == "x%40y"
