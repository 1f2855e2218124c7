"""The benchmark's arithmetic and the sanity checks that make a run invalid."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import uuid4

import httpx
import pytest

from coulisse.contracts.billing import InvoiceIssued, PaymentReceived
from coulisse.ops.bench.customer_360 import describe_view, history
from coulisse.ops.bench.figures import (
    CLIENT_MONOTONIC,
    DATABASE,
    HOST_WALL,
    INVALID,
    MET,
    NOT_MEASURED,
    NOT_MET,
    PHASES,
    REPORTED,
    Batch,
    Drain,
    Sanity,
    figure,
    latency_summary,
    match_arrivals,
    percentile,
    rate,
    ratio,
    spread,
    targets,
    verdict,
)
from coulisse.ops.bench.profiling import read_collapsed, top_frames
from coulisse.ops.bench.run import phases_of
from coulisse.ops.bench.streams import STREAM_PATH, StreamReader, describe_stream
from coulisse.platform.clock import SettableClock


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


FIGURES: dict[str, float | None] = {
    "pipeline_rate": 3200.0,
    "pipeline_ratio": 0.6,
    "http_rate": 520.0,
    "http_ratio": 0.7,
    "counter_wait_ms": 0.4,
    "latency_rate": 199.0,
    "latency_p50_ms": 15.0,
    "latency_p99_ms": 90.0,
    "customer_360_p95_ms": 120.0,
    "stream_p50_ms": 540.0,
    "stream_p99_ms": 900.0,
    "fec_seconds": 25.0,
    "fec_peak_rss_mb": 150.0,
}
REPORTING_TARGETS = ("360_first_page_p95_ms", "sse_commit_to_arrival_ms")


def judged_all(
    valid: bool = True, *, phases: tuple[str, ...] = PHASES, **figures: float | None
) -> dict[str, Any]:
    given = {**FIGURES, **figures}
    return targets(valid=valid, phases=phases, **given)


def judged(valid: bool = True, **figures: float | None) -> dict[str, str]:
    found = judged_all(valid, phases=PHASES, **figures)
    return {name: found[name]["verdict"] for name in ("P1", "P2", "P3", "P4")}


class TestTargets:
    def test_every_target_met(self) -> None:
        assert judged() == {"P1": MET, "P2": MET, "P3": MET, "P4": MET}

    def test_each_threshold(self) -> None:
        assert judged(pipeline_rate=2999.0)["P1"] == NOT_MET
        assert judged(pipeline_ratio=0.49)["P1"] == NOT_MET
        assert judged(http_rate=499.0)["P2"] == NOT_MET
        assert judged(http_ratio=0.59)["P2"] == NOT_MET
        assert judged(latency_p50_ms=20.5)["P3"] == NOT_MET
        assert judged(latency_p99_ms=101.0)["P3"] == NOT_MET
        # Not sustained: the invoices committed at less than 95 % of 200/s.
        assert judged(latency_rate=180.0)["P3"] == NOT_MET
        assert judged(fec_seconds=30.0, fec_peak_rss_mb=200.0)["P4"] == MET
        assert judged(fec_seconds=30.5)["P4"] == NOT_MET
        assert judged(fec_peak_rss_mb=201.0)["P4"] == NOT_MET

    def test_an_invalid_run_or_a_missing_figure_is_invalid(self) -> None:
        assert set(judged(valid=False).values()) == {INVALID}
        assert judged(latency_p99_ms=None)["P3"] == INVALID
        assert judged(fec_peak_rss_mb=None)["P4"] == INVALID

    def test_p4_without_its_phase_is_not_measured(self) -> None:
        found = judged_all(phases=("http",), fec_seconds=None, fec_peak_rss_mb=None)["P4"]
        assert found["verdict"] == NOT_MEASURED
        assert found["reason"] == "phase not run (--phases): fec"
        assert judged_all()["P4"]["measured"] == {"seconds": 25.0, "peak_rss_mb": 150.0}


class TestReportingTargets:
    def test_the_360_p95_decides_its_verdict(self) -> None:
        assert judged_all()["360_first_page_p95_ms"]["verdict"] == MET
        assert judged_all(customer_360_p95_ms=300.0)["360_first_page_p95_ms"]["verdict"] == MET
        assert judged_all(customer_360_p95_ms=300.5)["360_first_page_p95_ms"]["verdict"] == NOT_MET
        assert judged_all()["360_first_page_p95_ms"]["measured"] == {"p95_ms": 120.0}

    def test_the_stream_delay_is_reported_without_a_target(self) -> None:
        found = judged_all()["sse_commit_to_arrival_ms"]
        assert found["verdict"] == REPORTED
        assert found["target"] is None
        assert found["measured"] == {"p50_ms": 540.0, "p99_ms": 900.0}

    def test_an_invalid_run_or_a_missing_figure_is_invalid(self) -> None:
        for name in REPORTING_TARGETS:
            assert judged_all(valid=False)[name]["verdict"] == INVALID
        assert judged_all(customer_360_p95_ms=None)["360_first_page_p95_ms"]["verdict"] == INVALID
        assert judged_all(stream_p99_ms=None)["sse_commit_to_arrival_ms"]["verdict"] == INVALID

    def test_a_phase_not_run_leaves_its_targets_not_measured(self) -> None:
        found = judged_all(
            phases=("reporting",),
            pipeline_rate=None,
            pipeline_ratio=None,
            http_rate=None,
            http_ratio=None,
            latency_rate=None,
            latency_p50_ms=None,
            latency_p99_ms=None,
        )
        assert {name: found[name]["verdict"] for name in ("P1", "P2", "P3")} == {
            "P1": NOT_MEASURED,
            "P2": NOT_MEASURED,
            "P3": NOT_MEASURED,
        }
        assert found["P1"]["reason"] == "phase not run (--phases): drain, raw"
        assert found["360_first_page_p95_ms"]["verdict"] == MET
        # Without the reporting phase, its figures are not measured, not invalid.
        found = judged_all(phases=("http", "drain", "latency", "raw"), customer_360_p95_ms=None)
        for name in REPORTING_TARGETS:
            assert found[name]["verdict"] == NOT_MEASURED
        assert found["P1"]["verdict"] == MET


class TestPhases:
    def test_the_phases_asked_in_the_run_order(self) -> None:
        assert phases_of("reporting") == ("reporting",)
        assert phases_of(" reporting, http ,") == ("http", "reporting")
        assert phases_of(",".join(PHASES)) == PHASES

    def test_unknown_phases_or_raw_without_its_drain_are_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown"):
            phases_of("reporting,360")
        with pytest.raises(ValueError, match="unknown"):
            phases_of(" , ")
        with pytest.raises(ValueError, match="raw needs drain"):
            phases_of("raw")
        assert phases_of("drain,raw") == ("drain", "raw")


class TestArrivals:
    EVENTS: ClassVar[dict[str, str]] = {"e1": "inv1", "e2": "inv2", "e3": "inv3"}
    COMMITS: ClassVar[dict[str, float]] = {"inv1": 100.0, "inv2": 100.5, "inv3": 101.0}

    def test_each_document_from_its_commit_to_its_first_arrival(self) -> None:
        found = match_arrivals(
            self.EVENTS,
            self.COMMITS,
            [("e1", 100.25), ("other", 100.3), ("e2", 100.6), ("e3", 101.5), ("e1", 102.0)],
        )
        assert found.delays_ms == pytest.approx({"inv1": 250.0, "inv2": 100.0, "inv3": 500.0})
        assert found.missing == ()
        assert found.duplicated == {"inv1": 2}
        assert found.others == 1
        assert found.uncommitted == ()

    def test_missing_arrivals_and_commits_are_named(self) -> None:
        found = match_arrivals(self.EVENTS, {"inv1": 100.0}, [("e1", 100.1), ("e2", 100.7)])
        assert found.missing == ("inv3",)
        assert found.uncommitted == ("inv2",)
        assert list(found.delays_ms) == ["inv1"]

    def test_every_document_exactly_once_passes(self) -> None:
        found = match_arrivals(
            self.EVENTS, self.COMMITS, [("e1", 100.1), ("e2", 100.6), ("e3", 101.1)]
        )
        sanity = Sanity()
        assert sanity.each_once("stream", found)
        assert sanity.valid

    def test_a_missing_a_duplicated_or_an_uncommitted_document_is_invalid(self) -> None:
        missing = match_arrivals(self.EVENTS, self.COMMITS, [("e1", 100.1), ("e2", 100.6)])
        sanity = Sanity()
        assert not sanity.each_once("stream", missing)
        assert sanity.problems == ["stream: 1 never arrived (e.g. inv3)"]
        twice = match_arrivals(
            self.EVENTS, self.COMMITS, [("e1", 100.1), ("e2", 100.6), ("e3", 101.1), ("e2", 101.6)]
        )
        sanity = Sanity()
        assert not sanity.each_once("stream", twice)
        assert sanity.problems == ["stream: 1 arrived more than once (e.g. inv2 2 times)"]
        uncommitted = match_arrivals(
            self.EVENTS, {"inv1": 100.0}, [("e1", 100.1), ("e2", 100.6), ("e3", 101.1)]
        )
        assert not Sanity().each_once("stream", uncommitted)

    def test_an_arrival_before_the_commit_is_a_negative_delay(self) -> None:
        # The clocks disagree, or the match is wrong: either way the figure cannot stand.
        found = match_arrivals({"e1": "inv1"}, {"inv1": 100.0}, [("e1", 99.99)])
        sanity = Sanity()
        assert not sanity.no_negative_latency("stream", list(found.delays_ms.values()))
        assert not sanity.valid


def test_fewer_events_than_needed_is_invalid() -> None:
    sanity = Sanity()
    assert not sanity.at_least("360: events in the timeline", 10_000, 9_999)
    assert sanity.problems == ["360: events in the timeline: 9999 found, at least 10000 needed"]
    assert Sanity().at_least("360: events in the timeline", 10_000, 10_001)


def test_the_host_wall_clock_is_known() -> None:
    assert figure(1.0, "ms", HOST_WALL, "commit to arrival")["clock"] == HOST_WALL


class TestHistory:
    def test_invoices_each_settled_by_a_payment_but_the_open_ones(self) -> None:
        customer = uuid4()
        found = history(
            customer, "C000042", events=10_000, open_invoices=10, day=date(2026, 3, 2), series="HB"
        )
        assert len(found.payloads) == 10_000
        assert (found.invoices, found.payments, found.open_invoices) == (5005, 4995, 10)
        invoices = [p for p in found.payloads if isinstance(p, InvoiceIssued)]
        payments = [p for p in found.payloads if isinstance(p, PaymentReceived)]
        assert len(invoices) == 5005 and len(payments) == 4995
        assert {p.partition_key for p in found.payloads} == {str(customer)}
        assert len({i.number for i in invoices}) == 5005
        settled = {a.invoice_id for p in payments for a in p.allocations}
        assert len(settled) == 4995
        open_ids = {i.invoice_id for i in invoices} - settled
        assert open_ids == {i.invoice_id for i in invoices[-10:]}
        # Each payment follows its invoice (same partition: read in that order) and pays it all.
        first = found.payloads[0]
        assert isinstance(first, InvoiceIssued)
        pays = found.payloads[1]
        assert isinstance(pays, PaymentReceived)
        assert pays.allocations[0].invoice_id == first.invoice_id
        assert pays.amount == first.total_gross == Decimal("120.00")
        assert first.total_net + first.total_vat == first.total_gross

    def test_the_events_must_make_pairs_around_the_open_invoices(self) -> None:
        with pytest.raises(ValueError):
            history(uuid4(), "C1", events=101, open_invoices=10, day=date(2026, 3, 2), series="H")
        with pytest.raises(ValueError):
            history(uuid4(), "C1", events=4, open_invoices=6, day=date(2026, 3, 2), series="H")
        only_open = history(
            uuid4(), "C1", events=3, open_invoices=3, day=date(2026, 3, 2), series="H"
        )
        assert (only_open.invoices, only_open.payments) == (3, 0)


def view(p95: float, events: int = 10_001) -> dict[str, Any]:
    page = {"path": "/360", "calls": 200, "p50_ms": 10.0, "p95_ms": p95, "p99_ms": 40.0}
    return {
        "timeline_events": events,
        "first_page": page | {"max_ms": 50.0, "timeline_items": 20},
        "next_page": page | {"max_ms": 60.0, "items": 50},
    }


def test_the_360_figures_say_their_clock_and_how_many_events() -> None:
    found = describe_view({"events_published": 10_000}, [view(30.0), view(20.0), view(25.0)])
    assert found["timeline_events_when_measured"] == 10_001
    p95 = found["first_page_p95_ms"]
    assert p95["value"]["median"] == 25.0
    assert p95["clock"] == CLIENT_MONOTONIC
    assert "10001 events" in p95["covers"] and "request sent to response body read" in p95["covers"]
    assert found["next_page_p95_ms"]["value"]["runs"] == [30.0, 20.0, 25.0]


def stream(p50: float, arrived: int = 200, missing: int = 0) -> dict[str, Any]:
    return {
        "invoices": 200,
        "sent_rate": 10.0,
        "events_arrived": arrived,
        "missing": missing,
        "duplicated": 0,
        "commit_to_arrival": {"p50_ms": p50, "p99_ms": 2 * p50, "max_ms": 3 * p50},
    }


def test_the_stream_figures_say_their_clock() -> None:
    found = describe_stream([stream(500.0), stream(400.0), stream(450.0)], "0.5 s")
    assert found["p50_ms"]["value"]["median"] == 450.0
    assert found["p99_ms"]["value"]["median"] == 900.0
    assert found["p50_ms"]["clock"] == HOST_WALL
    assert "COULISSE_STREAM_POLL_SECONDS: 0.5 s" in found["p50_ms"]["covers"]
    assert found["arrived_exactly_once"] is True
    short = describe_stream([stream(500.0), stream(400.0, arrived=199, missing=1)], "0.5 s")
    assert short["arrived_exactly_once"] is False


def sse_server(
    chunks: list[bytes], *, status: int = 200, stay_open: bool = True
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A stream of reporting's shape: the retry hint, then events cut in arbitrary chunks."""
    requests: list[httpx.Request] = []

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
            await asyncio.sleep(0)
        if stay_open:
            await asyncio.Event().wait()

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if status != 200:
            return httpx.Response(status, json={"title": "Forbidden"})
        return httpx.Response(
            200, headers={"content-type": "text/event-stream; charset=utf-8"}, content=body()
        )

    return httpx.MockTransport(handler), requests


def entry(event_id: str, position: int) -> bytes:
    data = json.dumps({"position": position, "event_id": event_id, "type": InvoiceIssued.TYPE})
    return f"id: {position}\r\nevent: {InvoiceIssued.TYPE}\r\ndata: {data}\r\n\r\n".encode()


class TestStreamReader:
    async def test_each_event_is_stamped_on_arrival_with_the_clock_given(self) -> None:
        clock = SettableClock("2026-03-02T10:00:00Z")
        second = entry("e2", 8)
        transport, requests = sse_server(
            [b": stream open\r\nretry: 3000\r\n\r\n", entry("e1", 7), second[:20], second[20:]]
        )
        reader = StreamReader("http://reporting", "t0k", InvoiceIssued.TYPE, clock, transport)
        async with reader as stream:
            assert await stream.wait_for({"e1"}, 5)
            clock.advance(timedelta(milliseconds=250))
            assert await stream.wait_for({"e1", "e2"}, 5)
        assert [(a.event_id, a.position) for a in stream.arrivals] == [("e1", "7"), ("e2", "8")]
        start = clock.now().timestamp() - 0.25
        assert stream.arrivals[0].at == start
        assert stream.error is None
        (request,) = requests
        assert request.url.path == STREAM_PATH
        assert request.url.params["types"] == InvoiceIssued.TYPE
        assert request.headers["authorization"] == "Bearer t0k"

    async def test_a_stream_that_ends_is_an_error(self) -> None:
        transport, _ = sse_server([entry("e1", 7)], stay_open=False)
        reader = StreamReader(
            "http://reporting", "t", InvoiceIssued.TYPE, SettableClock("2026-03-02"), transport
        )
        async with reader as stream:
            assert not await stream.wait_for({"e1", "e2"}, 5)
        assert stream.error == "the stream ended"

    async def test_a_refused_stream_does_not_open(self) -> None:
        transport, _ = sse_server([], status=403)
        reader = StreamReader(
            "http://reporting", "t", InvoiceIssued.TYPE, SettableClock("2026-03-02"), transport
        )
        with pytest.raises(RuntimeError, match=r"did not open.*403"):
            async with reader:
                pass


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
