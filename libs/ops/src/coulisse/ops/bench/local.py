"""The benchmark against the local stack that `coulisse up` started: its endpoints, its
supervised programs, and the one server setting the figures need."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from coulisse.ops.bench import database as db
from coulisse.ops.bench.phases import GATEWAY, Target
from coulisse.ops.postgres import PROGRAM as POSTGRES
from coulisse.ops.stack import Stack
from coulisse.ops.tokens import mint

NEEDED = ("customer", "billing", GATEWAY)
REPORTING = "reporting"


def missing_programs(stack: Stack, phases: Sequence[str] = ()) -> list[str]:
    processes = stack.supervisor.processes()
    # The reporting phase drives reporting; its history also goes through collections.
    extra = ["collections", REPORTING] if REPORTING in phases else []
    needed = [*NEEDED, *extra, POSTGRES]
    return [name for name in needed if processes.get(name, {}).get("statename") != "RUNNING"]


def ensure_commit_timestamps(stack: Stack, status: Callable[[str], None]) -> bool:
    """`track_commit_timestamp = on`, which every commit instant of the figures needs: set in
    the cluster's postgresql.auto.conf and PostgreSQL restarted under supervisord (the services
    reconnect by themselves, as after any restart). Returns whether a restart was needed."""
    admin = stack.postgres.admin_url
    if asyncio.run(db.commit_timestamps_on(admin)):
        return False
    status("track_commit_timestamp = on, restarting PostgreSQL")
    asyncio.run(db.enable_commit_timestamps(admin))
    stack.supervisor.stop_program(POSTGRES)
    stack.supervisor.start_program(POSTGRES)
    stack.postgres.wait_accepting(120)
    status("waiting for the services to be ready again")
    asyncio.run(stack.wait_ready(180))
    if not asyncio.run(db.commit_timestamps_on(admin)):
        raise RuntimeError("track_commit_timestamp is still off after PostgreSQL's restart")
    return True


def target(stack: Stack) -> Target:
    def pid(program: str) -> int | None:
        found = stack.supervisor.processes().get(program, {}).get("pid")
        return int(found) if found else None

    return Target(
        customer_url=stack.service("customer").base_url,
        billing_url=stack.service("billing").base_url,
        gateway_url=stack.service(GATEWAY).base_url,
        kafka=stack.kafka.bootstrap_servers,
        admin_url=stack.postgres.admin_url,
        token=mint(stack.paths.jwt_secret, ["all"], subject="bench", ttl_seconds=6 * 3600),
        stop_gateway=lambda: stack.supervisor.stop_program(GATEWAY),
        # Not waiting for supervisord's "running" (3 s up): the drain may be over by then.
        start_gateway=lambda: stack.supervisor.start_program(GATEWAY, wait=False),
        pid=pid,
        postgres_pid=stack.postgres.pid,
        reporting_url=stack.service(REPORTING).base_url,
        reports_token=mint(
            stack.paths.jwt_secret, ["reports:read"], subject="bench", ttl_seconds=6 * 3600
        ),
        accounting_token=mint(
            stack.paths.jwt_secret, ["accounting:read"], subject="bench", ttl_seconds=6 * 3600
        ),
        gateway_environment=stack.supervisor.program_environment(GATEWAY),
    )


def consumer_batch_size(stack: Stack) -> int:
    environment = stack.supervisor.program_environment(GATEWAY)
    return int(environment.get("COULISSE_CONSUMER_BATCH_SIZE", "500"))


def stream_poll_seconds(stack: Stack) -> str:
    environment = stack.supervisor.program_environment(REPORTING)
    found = environment.get("COULISSE_STREAM_POLL_SECONDS")
    return f"{found} s" if found else "not set: the service's default"


def traces_exporter(stack: Stack) -> str:
    return stack.supervisor.program_environment("billing").get("COULISSE_TRACES_EXPORTER", "?")
