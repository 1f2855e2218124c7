"""A short chaos campaign on a stack of its own: a few hundred documents while each kind of
fault strikes once (billing and the gateway killed, the broker paused then killed, PostgreSQL
killed, two failpoints), then the books: nothing lost, nothing twice, no gap, balanced, no 500.

`make chaos` runs the full campaign against `coulisse up`; docs/operations.md reads its figures.
"""

from __future__ import annotations

import asyncio

import pytest
from rich.console import Console

from coulisse.ops import chaos
from coulisse.ops.testing import private_stack
from coulisse.ops.tokens import mint

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHORT = chaos.ChaosConfig(
    documents=300,
    rate=10.0,
    service_kills=2,
    infrastructure_faults=1,
    failpoint_faults=1,
    failpoints=("relay.after_publish", "collections.run.recorded"),
    seed=7,
    customers=8,
    pause_seconds=(2.0, 4.0),
    warm_up_seconds=3.0,
    settle_timeout=240.0,
)


@pytest.mark.timeout(900)
async def test_a_short_campaign_loses_and_doubles_nothing() -> None:
    with private_stack("chaos", chaos.SERVICES) as stack:
        if not stack.postgres.available:
            pytest.skip("the campaign kills PostgreSQL: it needs its server binaries")
        await asyncio.to_thread(stack.start)
        token = mint(stack.paths.jwt_secret, ["all"], subject="chaos", ttl_seconds=3600)
        report = await chaos.run(stack, SHORT, token)
    console = Console(width=140)
    with console.capture() as captured:
        for table in chaos.tables(report):
            console.print(table)
    assert report.passed, captured.get()
    assert report.documents["accepted"] >= SHORT.documents
    assert report.books["lost"] == 0 and report.books["duplicated"] == 0
    assert report.faults["service_kills"] == 2
    assert report.faults["infrastructure_faults"] == dict.fromkeys(chaos.INFRASTRUCTURE_FAULTS, 1)
    assert set(report.faults["failpoints"]) == {
        "failpoint:relay.after_publish",
        "failpoint:collections.run.recorded",
    }
