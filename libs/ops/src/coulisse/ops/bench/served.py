"""A server the benchmark runs itself (the bare reference, a gateway on the P4 books): a process
of its own on a free port, ready once it answers `/readyz`, stopped by SIGTERM (SIGKILL after
20 s) whatever the outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

from coulisse.ops import procs
from coulisse.ops.bench.phases import wait_ready

STOP_SECONDS = 20


class ServedProcess:
    """`command` (given the port) run with `environment`, its output in `log`."""

    def __init__(
        self,
        command: Sequence[str],
        log: Path,
        *,
        port: int | None = None,
        environment: Mapping[str, str] | None = None,
        ready_seconds: float = 60,
    ) -> None:
        self.port = port or procs.free_port()
        self.command = list(command)
        self.log = log
        self.environment = None if environment is None else dict(environment)
        self.ready_seconds = ready_seconds
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    async def __aenter__(self) -> ServedProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                env=self.environment,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        await wait_ready(self.url, self.ready_seconds)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
