"""The test helpers themselves: test tokens outlive any clock a test sets, `eventually` waits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coulisse.platform import testing
from coulisse.platform.auth import AuthError, TokenVerifier
from coulisse.platform.clock import SettableClock
from coulisse.platform.settings import ServiceSettings


def verifier_at(instant: datetime) -> TokenVerifier:
    settings = ServiceSettings(COULISSE_JWT_SECRET=testing.TEST_SECRET, COULISSE_ENV="test")
    return TokenVerifier(settings, SettableClock(instant))


@pytest.mark.parametrize("year", [2020, 2026, 2035])
def test_a_test_token_is_accepted_by_services_set_years_away(year: int) -> None:
    minted_in_2026 = SettableClock(datetime(2026, 1, 1, tzinfo=UTC))
    token = testing.token(["billing:read"], clock=minted_in_2026)
    principal = verifier_at(datetime(year, 12, 31, tzinfo=UTC)).verify(token)
    assert principal.scopes == {"billing:read"}


def test_a_short_lived_test_token_expires() -> None:
    issued = datetime(2026, 1, 1, tzinfo=UTC)
    token = testing.token(ttl=60, clock=SettableClock(issued))
    assert verifier_at(issued).verify(token).sub == "test-agent"
    with pytest.raises(AuthError):
        verifier_at(datetime(2026, 1, 1, 0, 2, tzinfo=UTC)).verify(token)


async def test_eventually_waits_for_the_check() -> None:
    calls = 0

    async def third_time() -> bool:
        nonlocal calls
        calls += 1
        return calls == 3

    await testing.eventually(third_time, what="the third call", timeout=5, interval=0.01)
    assert calls == 3


async def test_eventually_fails_naming_what_it_waited_for() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"the impossible: not within 0\.05 s"):
        await testing.eventually(never, what="the impossible", timeout=0.05, interval=0.01)
