"""The daily dunning run: once the configured time of day has passed (Paris time, on the
service's clock), the service runs dunning for that day by itself.

A run is once per date whoever asks (the run log serializes them and the same date again changes
nothing), so a second replica or a run already made over HTTP cost nothing more. A service that
starts after the time of day leaves that day to whoever runs it by hand (`POST /v1/dunning/runs`):
runs are chronological, and a run dated today made at start-up would refuse every run an
operator (or the demo data) then dates earlier that day's catch-up. A day missed is not run
afterwards: the next day's run takes each invoice to the level it is due, one level at a time,
and counts interest to its own date.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time

from coulisse.platform.clock import BUSINESS_ZONE
from coulisse.platform.domain import DomainError
from coulisse.platform.service import Runtime

from ..adapters.uow import CollectionsUnitOfWork
from ..application import handlers
from ..application.commands import RunDunning
from ..config import CollectionsSettings

log = logging.getLogger("coulisse.collections.daily_run")


def run_due(now: datetime, at: time, done_on: date | None) -> date | None:
    """The date to run now, if any: today in Paris, once `at` has passed and not yet done."""
    local = now.astimezone(BUSINESS_ZONE)
    if local.time() < at or local.date() == done_on:
        return None
    return local.date()


class DailyDunning:
    name = "daily-dunning"

    def __init__(
        self, runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork], at: time
    ) -> None:
        self.runtime = runtime
        self.at = at
        self.done_on: date | None = None
        self._reported: tuple[date, str] | None = None

    async def run(self) -> None:
        started = run_due(self.runtime.clock.now(), self.at, None)
        if started is not None:
            self.done_on = started
            log.info(
                "started after %s: the first daily dunning run is tomorrow's (today's: "
                "POST /v1/dunning/runs)",
                self.at,
            )
        while True:
            await self.check()
            await asyncio.sleep(self.runtime.settings.dunning_check_seconds)

    async def check(self) -> None:
        day = run_due(self.runtime.clock.now(), self.at, self.done_on)
        if day is None:
            return
        try:
            done = await self.runtime.commands.run(handlers.run, RunDunning(as_of=day))
        except DomainError as refused:
            # A missing rate or a later run already recorded: nothing a retry changes soon;
            # said once a day, tried again at each check.
            if self._reported != (day, str(refused)):
                self._reported = (day, str(refused))
                log.error("daily dunning run of %s refused: %s", day, refused)
            return
        except Exception:
            log.exception("daily dunning run of %s failed; trying again", day)
            return
        self.done_on = day
        log.info(
            "daily dunning run of %s: %d notices, %d fees%s",
            day,
            len(done.notices),
            len(done.charges),
            " (already run)" if done.repeated else "",
        )


def workers(runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork]) -> list[DailyDunning]:
    at = runtime.settings.dunning_daily_at
    return [] if at is None else [DailyDunning(runtime, at)]
