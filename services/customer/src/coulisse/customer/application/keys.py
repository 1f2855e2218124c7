"""Rotation of the master key: every stored data key rewrapped by the current master key.

The events do not change: they are sealed with the customers' data keys, which stay the same;
only the wrapping of those keys in this service's database does.
"""

from __future__ import annotations

from collections.abc import Callable

from ..adapters.uow import CustomerUnitOfWork

REWRAP_BATCH = 500


async def rewrap_keys(
    uow_factory: Callable[[], CustomerUnitOfWork], *, batch: int = REWRAP_BATCH
) -> int:
    """Rewraps, one transaction per batch, every key not wrapped by the current master key;
    returns how many. Safe to run again after a crash, and alongside the running service."""
    total = 0
    while True:
        async with uow_factory() as uow:
            done = await uow.personal_keys.rewrap_batch(uow.clock.now(), batch)
            await uow.commit()
        total += done
        if done < batch:
            return total
