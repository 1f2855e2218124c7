"""The benchmark's arithmetic and the sanity checks that make a run invalid."""

from __future__ import annotations

import pytest

from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    DATABASE,
    INVALID,
    MET,
    NOT_MEASURED,
    NOT_MET,
    Batch,
    Drain,
    Sanity,
    figure,
    latency_summary,
    percentile,
    rate,
    ratio,
    spread,
    targets,
    verdict,
)
from coulisse.ops.bench.profiling import read_collapsed, top_frames


class TestPercentile:
    def test_nearest_rank_of_the_sorted_values(self) -> None:
        values = [float(v) for v in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
        assert percentile(values, 0.0) == 1.0
        assert percentile(values, 0.5) == 51.0  # index round(49.5) = 50 (banker's: 50)
        assert percentile(values, 0.99) == 99.0
        assert percentile(values, 1.0) == 100.0

    def test_always_one_of_the_values(self) -> None:
        assert percentile([3.0, 10.0], 0.5) in {3.0, 10.0}
        assert percentile([7.0], 0.99) == 7.0

    def test_no_value_or_a_fraction_outside_0_1_is_refused(self) -> None:
        with pytest.raises(ValueError):
            percentile([], 0.5)
        with pytest.raises(ValueError):
            percentile([1.0], 1.5)


def test_spread_gives_median_lowest_highest_and_the_runs() -> None:
    assert spread([3.0, 1.0, 2.0]) == {
        "median": 2.0,
        "min": 1.0,
        "max": 3.0,
        "runs": [3.0, 1.0, 2.0],
    }
    assert spread([1.0, 2.0, 3.0, 10.0])["median"] == 2.5
    assert spread([1.23456], 2)["runs"] == [1.23]
    with pytest.raises(ValueError):
        spread([])


def test_rates_and_ratios_need_a_positive_denominator() -> None:
    assert rate(3000, 1.5) == 2000.0
    assert ratio(300.0, 600.0) == 0.5
    with pytest.raises(ValueError):
        rate(2000, 0.0)
    with pytest.raises(ValueError):
        rate(2000, -0.016)
    with pytest.raises(ValueError):
        ratio(1.0, 0.0)


def test_latency_summary() -> None:
    summary = latency_summary([float(v) for v in range(1, 101)])
    assert summary["p50_ms"] == 51.0
    assert summary["p99_ms"] == 99.0
    assert summary["max_ms"] == 100.0
    assert summary["mean_ms"] == 50.5


def test_a_figure_names_a_known_clock() -> None:
    found = figure(12.5, "ms", DATABASE, "commit to commit")
    assert found == {"value": 12.5, "unit": "ms", "clock": DATABASE, "covers": "commit to commit"}
    with pytest.raises(ValueError):
        figure(1.0, "s", "the wall", "anything")


def drain(*batches: tuple[float, int], started: float = 100.0) -> Drain:
    return Drain(started, tuple(Batch(at, entries) for at, entries in batches))


class TestDrain:
    def test_rates_from_commit_instants(self) -> None:
        # Four transactions of 500; the first commits 2 s after the start command.
        timed = drain((102.0, 500), (102.5, 500), (103.0, 500), (103.5, 500))
        assert timed.entries == 2000
        assert timed.start_to_first_s == 2.0
        assert timed.first_to_last_s == 1.5
        # The window holds the 1,500 entries committed after the first transaction.
        assert timed.steady_entries == 1500
        assert timed.steady_rate() == 1000.0
        assert timed.overall_rate() == 2000 / 3.5

    def test_order_of_the_batches_does_not_matter(self) -> None:
        timed = drain((103.5, 500), (102.0, 400), (103.0, 500))
        assert timed.first.entries == 400
        assert timed.steady_entries == 1000


class TestSanity:
    def test_a_drain_in_one_transaction_is_shorter_than_a_batch(self) -> None:
        # The impossible figure: the whole backlog seemingly drained in 0.016 s.
        sanity = Sanity()
        assert not sanity.drain_longer_than_a_batch(drain((102.0, 2000)), 500)
        assert "shorter than one batch" in sanity.problems[0]
        assert not sanity.valid

    def test_a_window_smaller_than_a_batch_is_refused(self) -> None:
        sanity = Sanity()
        assert not sanity.drain_longer_than_a_batch(drain((102.0, 500), (102.01, 100)), 500)
        assert not sanity.valid

    def test_a_drain_of_several_batches_passes(self) -> None:
        sanity = Sanity()
        assert sanity.drain_longer_than_a_batch(drain((102.0, 500), (102.5, 500)), 500)
        assert sanity.valid

    def test_the_first_entry_must_follow_the_start_command(self) -> None:
        sanity = Sanity()
        assert not sanity.started_before_first_entry(drain((99.0, 500), (100.5, 500)))
        assert Sanity().started_before_first_entry(drain((100.2, 500), (100.5, 500)))

    def test_a_ratio_above_one_is_invalid(self) -> None:
        # The ratio_of_raw_limit of 8.3.
        sanity = Sanity()
        assert not sanity.ratio_at_most_one("pipeline / raw limit", 8.3)
        assert sanity.ratio_at_most_one("billing / bare", 1.0)
        assert len(sanity.problems) == 1

    def test_a_negative_latency_is_invalid(self) -> None:
        sanity = Sanity()
        assert not sanity.no_negative_latency("latency", [12.0, -29.0, 3.0])
        assert "-29.000" in sanity.problems[0]
        assert Sanity().no_negative_latency("latency", [0.0, 4.5])

    def test_counts_must_match_the_database(self) -> None:
        # The backlog: 2,013 entries posted for 2,000 events produced.
        sanity = Sanity()
        assert not sanity.counts_match("entries for the backlog", 2000, 2013)
        assert sanity.problems == ["entries for the backlog: 2013 found, 2000 expected"]
        assert Sanity().counts_match("entries", 2000, 2000)

    def test_a_duration_must_be_positive(self) -> None:
        sanity = Sanity()
        assert not sanity.positive("drain", 0.0)
        assert sanity.positive("drain", 0.5) is True
        assert len(sanity.problems) == 1


def test_verdicts() -> None:
    assert verdict(True, {"rate": True, "ratio": True}) == MET
    assert verdict(True, {"rate": True, "ratio": False}) == NOT_MET
    assert verdict(False, {"rate": True}) == INVALID


def judged(valid: bool = True, **figures: float | None) -> dict[str, str]:
    given: dict[str, float | None] = {
        "pipeline_rate": 3200.0,
        "pipeline_ratio": 0.6,
        "http_rate": 520.0,
        "http_ratio": 0.7,
        "counter_wait_ms": 0.4,
        "latency_rate": 199.0,
        "latency_p50_ms": 15.0,
        "latency_p99_ms": 90.0,
    }
    given.update(figures)
    found = targets(valid=valid, fec_reason="not built", **given)
    return {name: found[name]["verdict"] for name in ("P1", "P2", "P3", "P4")}


class TestTargets:
    def test_every_target_met(self) -> None:
        assert judged() == {"P1": MET, "P2": MET, "P3": MET, "P4": NOT_MEASURED}

    def test_each_threshold(self) -> None:
        assert judged(pipeline_rate=2999.0)["P1"] == NOT_MET
        assert judged(pipeline_ratio=0.49)["P1"] == NOT_MET
        assert judged(http_rate=499.0)["P2"] == NOT_MET
        assert judged(http_ratio=0.59)["P2"] == NOT_MET
        assert judged(latency_p50_ms=20.5)["P3"] == NOT_MET
        assert judged(latency_p99_ms=101.0)["P3"] == NOT_MET
        # Not sustained: the invoices committed at less than 95 % of 200/s.
        assert judged(latency_rate=180.0)["P3"] == NOT_MET

    def test_an_invalid_run_or_a_missing_figure_is_invalid(self) -> None:
        assert set(judged(valid=False).values()) == {INVALID, NOT_MEASURED}
        assert judged(latency_p99_ms=None)["P3"] == INVALID


def test_top_frames_from_collapsed_stacks() -> None:
    src = "/work/libs/platform/src/coulisse"
    stdlib = "/usr/lib/python3.11"
    site = "/work/.venv/lib/python3.11/site-packages"
    loop = f"main ({src}/platform/service.py:378);Runner.run ({stdlib}/asyncio/runners.py:118)"
    post = f"post ({src}/billing/entrypoints/invoices_api.py"
    stacks = read_collapsed(
        f"{loop};{post}:10);execute ({site}/sqlalchemy/engine/base.py:5) 20\n"
        f"{loop};{post}:10);_before ({site}/opentelemetry/instrumentation/sqlalchemy/engine.py:9) 10\n"
        f"{loop};{post}:12) 10\n"
        f"{loop} 60\n"
        "garbage line\n"
    )
    assert sum(stacks.values()) == 100
    found = top_frames(stacks)
    assert found["samples"] == 100
    # The leaf is the self time.
    assert found["top_self"][0] == {
        "function": "Runner.run (asyncio/runners.py)",
        "share": 0.6,
        "samples": 60,
    }
    # Lines of one function add up; the frames down to the event loop are left out of "total".
    post_total = {
        "function": "post (coulisse/billing/entrypoints/invoices_api.py)",
        "share": 0.4,
        "samples": 40,
    }
    assert found["top_total"][0] == post_total
    assert all("service.py" not in f["function"] for f in found["top_total"])
    assert found["top_total_in_coulisse_code"] == [post_total]
    by_package = {p["function"]: p["share"] for p in found["self_by_package"]}
    # Whole paths tell OpenTelemetry's SQLAlchemy instrumentation from SQLAlchemy itself.
    assert by_package == {"asyncio": 0.6, "sqlalchemy": 0.2, "opentelemetry": 0.1, "coulisse": 0.1}
    assert CLIENT_MONOTONIC  # every clock name is exported for the figures
