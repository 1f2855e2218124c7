"""The FEC export of at least 1,000,000 lines (target P4), streamed.

A gateway API process of its own (the real service, `python -m coulisse.accounting_gateway`,
API role only, on a free port) serves the P4 books (`fec_books`). One client streams
`GET /v1/exports/fec?fiscal_year=` with an `accounting:read` token and reads the body in chunks
it counts and drops; the time to the first byte and to the last is taken on the client's
monotonic clock. A thread samples the gateway process's resident memory (its children's
included) every ~50 ms from before the request to the end of the body. The lines received must
be the lines the database holds for the year.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from coulisse.ops import procs
from coulisse.ops.bench.fec_books import GATEWAY_MODULE, fec_lines
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    PROCESS_SAMPLES,
    FecBody,
    RssSamples,
    Sanity,
    figure,
    megabytes,
    spread,
)
from coulisse.ops.bench.phases import CpuMeter
from coulisse.ops.bench.served import ServedProcess

SAMPLE_SECONDS = 0.05
MINIMUM_SAMPLES = 3


def resident_bytes(process: psutil.Process) -> int:
    """RSS of a process and of its children (a server that forks workers counts them all)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for one in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += one.memory_info().rss
    return total


class RssSampler:
    """Samples a process's RSS every `interval` seconds in a thread of its own, so that a busy
    event loop reading the body cannot delay the samples."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.before = resident_bytes(self.process)
        self._samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._started = 0.0
        self._ended = 0.0

    def _run(self) -> None:
        self._started = time.monotonic()
        while True:
            self._samples.append(resident_bytes(self.process))
            self._ended = time.monotonic()
            if self._stop.wait(self.interval):
                break
        # One last sample at the end of the body.
        self._samples.append(resident_bytes(self.process))
        self._ended = time.monotonic()

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def result(self) -> RssSamples:
        return RssSamples(self.before, tuple(self._samples), self._ended - self._started)


def gateway_api(environment: Mapping[str, str], log: Path) -> ServedProcess:
    """The gateway's HTTP API on the P4 books, in a process of its own on a free port."""
    port = procs.free_port()
    return ServedProcess(
        [sys.executable, "-m", GATEWAY_MODULE, "serve"],
        log,
        port=port,
        environment={**environment, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port)},
        ready_seconds=90,
    )


async def export_run(
    gateway: ServedProcess,
    token: str,
    fiscal_year: int,
    expected_lines: int,
    sanity: Sanity,
    label: str,
    postgres_pid: int | None = None,
) -> dict[str, Any]:
    """One export, its body counted and dropped as it arrives; the CPU seconds the gateway,
    PostgreSQL and this client used meanwhile say which of them the export waited on."""
    body = FecBody()
    first_byte: float | None = None
    url = f"{gateway.url}/v1/exports/fec"
    timeout = httpx.Timeout(10.0, read=300.0)
    # The client's own CPU time, threads included: the gateway is a child of this process, so
    # counting it with its children would count the gateway twice.
    client_cpu = time.process_time()
    async with httpx.AsyncClient(timeout=timeout) as client:
        with (
            CpuMeter({"gateway": gateway.pid, "postgres": postgres_pid}) as cpu,
            RssSampler(gateway.pid) as sampler,
        ):
            started = time.monotonic()
            async with client.stream(
                "GET",
                url,
                params={"fiscal_year": fiscal_year},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                status = response.status_code
                async for chunk in response.aiter_raw():
                    if first_byte is None and chunk:
                        first_byte = time.monotonic()
                    body.feed(chunk)
            ended = time.monotonic()
    client_cpu = time.process_time() - client_cpu
    rss = sampler.result()
    total_s = ended - started
    first_byte_s = (first_byte or ended) - started
    if status != 200:
        sanity.fail(f"{label}: the export answered {status}")
    sanity.counts_match(
        f"{label}: FEC lines received (header excluded)", expected_lines, body.records
    )
    sanity.export_timed(label, first_byte_s, total_s, rss, MINIMUM_SAMPLES)
    return {
        "status": status,
        "lines": body.records,
        "bytes": body.bytes,
        "first_byte_s": first_byte_s,
        "total_s": total_s,
        "rss_before_mb": megabytes(rss.before_bytes),
        "peak_rss_mb": megabytes(rss.peak_bytes),
        "rss_samples": len(rss.samples),
        "rss_interval_ms": rss.interval_ms,
        "cpu_s": {**cpu.used, "client": round(client_cpu, 3)},
    }


async def measure(
    environment: Mapping[str, str],
    database_url: str,
    token: str,
    fiscal_year: int,
    repeats: int,
    sanity: Sanity,
    log: Path,
    postgres_pid: int | None = None,
) -> list[dict[str, Any]]:
    """`repeats` exports from one gateway process; the lines the year holds counted before."""
    connection = await asyncpg.connect(database_url)
    try:
        expected = await fec_lines(connection, fiscal_year)
    finally:
        await connection.close()
    async with gateway_api(environment, log) as gateway:
        return [
            await export_run(
                gateway,
                token,
                fiscal_year,
                expected,
                sanity,
                f"FEC export, run {n + 1}",
                postgres_pid,
            )
            for n in range(repeats)
        ]


def describe_fec(books: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    lines = runs[0]["lines"] if runs else 0
    covers = (
        f"GET /v1/exports/fec?fiscal_year={books['fiscal_year']} of {lines:,} lines, one "
        "client reading the body in chunks it drops"
    )
    return {
        "books": books,
        "lines": lines,
        "bytes": runs[0]["bytes"] if runs else 0,
        "seconds": figure(
            spread([r["total_s"] for r in runs]),
            "s",
            CLIENT_MONOTONIC,
            f"{covers}: request sent → last byte read",
        ),
        "first_byte_s": figure(
            spread([r["first_byte_s"] for r in runs]),
            "s",
            CLIENT_MONOTONIC,
            f"{covers}: request sent → first byte of the body",
        ),
        "peak_rss_mb": figure(
            spread([r["peak_rss_mb"] for r in runs], 1),
            "MiB",
            PROCESS_SAMPLES,
            "the gateway process's resident memory with its children (psutil), sampled every "
            f"~{1000 * SAMPLE_SECONDS:g} ms from before the request to the last byte: the "
            "highest sample",
        ),
        "rss_before_mb": spread([r["rss_before_mb"] for r in runs], 1),
        "rss_samples": [r["rss_samples"] for r in runs],
        "rss_interval_ms": [round(r["rss_interval_ms"], 1) for r in runs],
        "cpu_s": [r.get("cpu_s", {}) for r in runs],
        "lines_per_s": spread([r["lines"] / r["total_s"] for r in runs if r["total_s"] > 0], 0),
    }
