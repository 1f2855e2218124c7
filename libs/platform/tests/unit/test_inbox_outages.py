"""An event is not dead-lettered because the database or the broker is away for a while: the
inbox takes for an outage what the HTTP side answers 503 to, and rewinds instead."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import IntegrityError

from coulisse.platform.inbox import is_transient


@pytest.mark.parametrize(
    "error",
    [
        # A PostgreSQL restarted after a kill refuses connections until its recovery is done.
        asyncpg.CannotConnectNowError("the database system is not yet accepting connections"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        ConnectionRefusedError(111, "Connect call failed"),
    ],
)
def test_an_outage_rewinds(error: BaseException) -> None:
    assert is_transient(error)


def test_a_constraint_violation_is_the_events_own_fault() -> None:
    assert not is_transient(IntegrityError("INSERT", None, Exception("duplicate key")))
