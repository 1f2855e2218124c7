"""A relay being stopped stops, even when a wake-up arrives at the same instant."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.platform.clock import SettableClock
from coulisse.platform.relay import OutboxRelay
from coulisse.platform.tables import platform_metadata

metadata = platform_metadata


async def test_a_wake_up_racing_the_stop_does_not_keep_the_relay_running(
    sqlite_engine: AsyncEngine,
) -> None:
    relay = OutboxRelay(
        sqlite_engine, producer=None, service="billing", clock=SettableClock("2026-06-15")
    )
    for attempt in range(20):
        task = asyncio.create_task(relay.run())
        # Let it find the outbox empty and park until its next wake-up or poll.
        await asyncio.sleep(0.01 + attempt * 0.002)
        # A commit's NOTIFY and the service's shutdown, in the same instant.
        relay.wake()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert done, f"the relay kept running after it was stopped (attempt {attempt})"
