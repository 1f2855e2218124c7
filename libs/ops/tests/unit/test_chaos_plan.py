"""The chaos campaign's plan and arithmetic, without a system: the seeded schedule of faults and
the numbering check."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from coulisse.ops.chaos import FAILPOINTS, ChaosConfig, first_run_on, gaps, schedule
from coulisse.platform.clock import START_ENV


def test_the_schedule_is_drawn_from_the_seed_and_holds_every_fault_asked_for() -> None:
    config = ChaosConfig(documents=10_000, rate=20, service_kills=55, infrastructure_faults=5)
    plan = schedule(config, random.Random(3))
    assert plan == schedule(config, random.Random(3))
    assert [f for _, f in plan] != [f for _, f in schedule(config, random.Random(4))]
    families = Counter(f.family for _, f in plan)
    assert families["service_kill"] == 55
    assert Counter(f.target for _, f in plan if f.kind == "service_kill") == {
        "billing": 11,
        "accounting-gateway": 11,
        "collections": 11,
        "reporting": 11,
        "customer": 11,
    }
    for kind in ("broker_pause", "broker_kill", "postgres_kill"):
        assert families[kind] == 5
    for name in FAILPOINTS:
        assert families[f"failpoint:{name}"] == 2
    instants = [at for at, _ in plan]
    # Spread over the time the documents take, in order, after the warm-up.
    assert instants == sorted(instants)
    assert config.warm_up_seconds <= instants[0] and instants[-1] <= config.expected_seconds


def test_relay_failpoints_take_billings_and_the_gateways_relay_in_turn() -> None:
    plan = schedule(ChaosConfig(service_kills=0, failpoint_faults=2), random.Random(1))
    targets = {f.target for _, f in plan if f.failpoint == "relay.before_publish"}
    assert targets == {"billing-relay", "accounting-gateway-relay"}


def test_gaps_name_what_is_missing_or_repeated_per_series() -> None:
    found = gaps(["F2026-000001", "F2026-000002", "F2026-000004", "A2026-000001", "A2026-000001"])
    assert found["F2026-"] == {
        "count": 3,
        "highest": 4,
        "missing": [3],
        "missing_count": 1,
        "repeated": 0,
    }
    assert found["A2026-"]["repeated"] == 1
    assert gaps(["VT-2026-000001", "VT-2026-000002"])["VT-2026-"]["missing_count"] == 0


def test_the_interrupted_runs_end_the_day_before_yesterday(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two faults for each of the two collections failpoints: four runs, one a day, the last one
    two days before today (today is the daily run's); `coulisse chaos` refuses to start when
    collections already ran on or after the first."""
    monkeypatch.setenv(START_ENV, "2026-12-02T10:00:00Z")
    assert first_run_on(ChaosConfig(failpoint_faults=2)) == date(2026, 11, 27)
    only_relays = ChaosConfig(failpoint_faults=2, failpoints=("relay.after_publish",))
    assert first_run_on(only_relays) == date(2026, 12, 1)
