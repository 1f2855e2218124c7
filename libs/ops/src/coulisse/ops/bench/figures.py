"""The benchmark's arithmetic, without any I/O: percentiles, medians and spreads, rates and
ratios, the sanity checks that make a run invalid, and the verdicts on the targets.

Every figure the benchmark writes says which clock measured it and what it covers (`figure`), so
that a reader can tell a commit-to-commit time from a client's round trip.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Clocks, named once: each figure of the JSON points at one of them.
CLIENT_MONOTONIC = "client-monotonic"
DATABASE = "database"
GATEWAY_WALL = "gateway-wall"
HOST_WALL = "host-wall"
PROCESS_SAMPLES = "process-samples"
CLOCKS = {
    CLIENT_MONOTONIC: "the benchmark process's monotonic clock (time.monotonic); durations only",
    DATABASE: (
        "the PostgreSQL server's clock: commit timestamps (track_commit_timestamp, "
        "pg_xact_commit_timestamp of a row's xmin) and clock_timestamp(); one server holds "
        "every database of the stack, so both ends of a figure come from the same clock"
    ),
    GATEWAY_WALL: (
        "the gateway process's wall clock as written in journal_entries.posted_at: read once "
        "per batch when it is numbered, before its commit (a cross-check only)"
    ),
    HOST_WALL: (
        "CLOCK_REALTIME of the one host that runs PostgreSQL and the benchmark: a commit "
        "instant (pg_xact_commit_timestamp, which the server reads from that clock) at one "
        "end, the benchmark's system clock (the platform's clock, not shifted) at the other; a "
        "step of the clock between the two would show, and a negative delay makes the run "
        "invalid"
    ),
    PROCESS_SAMPLES: (
        "no clock: readings of a process (psutil: resident memory, CPU seconds) taken at "
        "intervals over what the figure covers, which says how often"
    ),
}

# The phases of a run, in their order; `--phases` runs some of them.
PHASES = ("http", "drain", "latency", "raw", "reporting", "fec")
# What each target needs measured (the raw limit's ratio divides the drain's rate).
TARGET_PHASES = {
    "P1": ("drain", "raw"),
    "P2": ("http",),
    "P3": ("latency",),
    "P4": ("fec",),
    "360_first_page_p95_ms": ("reporting",),
    "sse_commit_to_arrival_ms": ("reporting",),
}

# Part 2's targets.
P1_EVENTS_PER_S = 3000.0
P1_RATIO_OF_RAW_LIMIT = 0.5
P2_RATIO_OF_BARE = 0.6
P2_INVOICES_PER_S = 500.0
P3_RATE_PER_S = 200.0
P3_P50_MS = 20.0
P3_P99_MS = 100.0
P4_LINES = 1_000_000
P4_SECONDS = 30.0
P4_PEAK_RSS_MB = 200.0
# Reporting's: a customer's 360° view, first page, with 10,000 events in their timeline.
CUSTOMER_360_EVENTS = 10_000
CUSTOMER_360_P95_MS = 300.0

MET, NOT_MET, INVALID, NOT_MEASURED = "met", "not met", "invalid", "not measured"
REPORTED = "reported"
"""The verdict of a figure without a target, once measured in a valid run."""


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value at `fraction` (0 to 1) of the sorted values, nearest rank: always one of the
    values, never an interpolation between two."""
    if not values:
        raise ValueError("no value to take a percentile of")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is not between 0 and 1")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def spread(runs: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """Median, lowest and highest of repeated measurements, and the runs themselves."""
    if not runs:
        raise ValueError("no run to summarise")
    return {
        "median": round(statistics.median(runs), digits),
        "min": round(min(runs), digits),
        "max": round(max(runs), digits),
        "runs": [round(value, digits) for value in runs],
    }


def rate(count: int, seconds: float) -> float:
    """Things per second; a duration of zero or less is no measurement."""
    if seconds <= 0:
        raise ValueError(f"{count} in {seconds} s is no rate: the duration must be positive")
    return count / seconds


def ratio(numerator: float, denominator: float) -> float:
    if denominator <= 0:
        raise ValueError(f"ratio to {denominator}: the reference must be positive")
    return numerator / denominator


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values_ms, 0.50), 2),
        "p95_ms": round(percentile(values_ms, 0.95), 2),
        "p99_ms": round(percentile(values_ms, 0.99), 2),
        "max_ms": round(max(values_ms), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


def figure(value: Any, unit: str, clock: str, covers: str) -> dict[str, Any]:
    """A figure as the JSON writes it: the value (a number or a `spread`) and what it means."""
    if clock not in CLOCKS:
        raise ValueError(f"unknown clock {clock!r}")
    return {"value": value, "unit": unit, "clock": clock, "covers": covers}


@dataclass(frozen=True)
class Batch:
    """One posting transaction of a drain: its commit instant (seconds) and its entries."""

    committed_at: float
    entries: int


@dataclass(frozen=True)
class Drain:
    """A backlog's drain as the database saw it, all instants on the database's clock."""

    started_at: float
    """When the gateway was told to start."""
    batches: tuple[Batch, ...]

    @property
    def entries(self) -> int:
        return sum(batch.entries for batch in self.batches)

    @property
    def first(self) -> Batch:
        return min(self.batches, key=lambda batch: batch.committed_at)

    @property
    def last(self) -> Batch:
        return max(self.batches, key=lambda batch: batch.committed_at)

    @property
    def start_to_first_s(self) -> float:
        return self.first.committed_at - self.started_at

    @property
    def first_to_last_s(self) -> float:
        return self.last.committed_at - self.first.committed_at

    @property
    def start_to_last_s(self) -> float:
        return self.last.committed_at - self.started_at

    @property
    def steady_entries(self) -> int:
        """The entries committed after the first batch: the work the first-to-last window holds
        (the first batch's work happened before its commit, outside the window)."""
        return self.entries - self.first.entries

    def steady_rate(self) -> float:
        return rate(self.steady_entries, self.first_to_last_s)

    def overall_rate(self) -> float:
        return rate(self.entries, self.start_to_last_s)


@dataclass(frozen=True)
class Arrivals:
    """Documents matched to the events an open stream delivered: each document's delay from its
    commit to its event's first arrival, and what does not add up."""

    delays_ms: dict[str, float]
    """Document id → arrival − commit, in ms, for those with both instants."""
    missing: tuple[str, ...]
    """Documents whose event never arrived."""
    duplicated: dict[str, int]
    """Documents whose event arrived more than once → how many times."""
    others: int
    """Events of the stream about none of these documents."""
    uncommitted: tuple[str, ...]
    """Documents that arrived but have no commit instant."""


def match_arrivals(
    events: Mapping[str, str],
    commits: Mapping[str, float],
    arrivals: Sequence[tuple[str, float]],
) -> Arrivals:
    """`events`: event id → document id; `commits`: document id → commit instant (s);
    `arrivals`: (event id, arrival instant in s), in the order the stream delivered them."""
    received = Counter(event_id for event_id, _ in arrivals)
    first: dict[str, float] = {}
    for event_id, at in arrivals:
        first.setdefault(event_id, at)
    delays: dict[str, float] = {}
    uncommitted: list[str] = []
    for event_id, document in events.items():
        if event_id not in first:
            continue
        if document in commits:
            delays[document] = 1000 * (first[event_id] - commits[document])
        else:
            uncommitted.append(document)
    return Arrivals(
        delays_ms=delays,
        missing=tuple(sorted(d for e, d in events.items() if e not in first)),
        duplicated={events[e]: n for e, n in received.items() if e in events and n > 1},
        others=sum(n for e, n in received.items() if e not in events),
        uncommitted=tuple(sorted(uncommitted)),
    )


class FecBody:
    """Counts the records of a FEC body as its chunks arrive, without keeping them: lines end
    with CRLF, the first is the header, a last line without its line end still counts."""

    def __init__(self) -> None:
        self.bytes = 0
        self._line_ends = 0
        self._last = b""

    def feed(self, chunk: bytes) -> None:
        if chunk:
            self.bytes += len(chunk)
            self._line_ends += chunk.count(b"\n")
            self._last = chunk[-1:]

    @property
    def lines(self) -> int:
        """Every line received, the header included."""
        return self._line_ends + (1 if self._last not in (b"", b"\n") else 0)

    @property
    def records(self) -> int:
        """The journal lines: every line but the header."""
        return max(0, self.lines - 1)


@dataclass(frozen=True)
class RssSamples:
    """A process's resident memory (its children's included), sampled during an export."""

    before_bytes: int
    """Sampled once before the request was sent."""
    samples: tuple[int, ...]
    """From just before the request to the end of its body."""
    seconds: float
    """Sampling's first to last sample, on the sampler's monotonic clock."""

    @property
    def peak_bytes(self) -> int:
        return max((self.before_bytes, *self.samples))

    @property
    def interval_ms(self) -> float:
        """The mean interval actually achieved between two samples."""
        return 1000 * self.seconds / (len(self.samples) - 1) if len(self.samples) > 1 else 0.0


MIB = 1024 * 1024


def megabytes(value: int) -> float:
    """Bytes as MiB (the unit of `P4_PEAK_RSS_MB`)."""
    return value / MIB


@dataclass
class Sanity:
    """What makes a run's figures impossible. A run with any of them is invalid: reported with
    its reasons and a non-zero exit, never written as a result."""

    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def fail(self, problem: str) -> None:
        self.problems.append(problem)

    def counts_match(self, what: str, expected: int, found: int) -> bool:
        if expected != found:
            self.fail(f"{what}: {found} found, {expected} expected")
            return False
        return True

    def ratio_at_most_one(self, what: str, value: float) -> bool:
        if value > 1.0:
            self.fail(f"{what} is {value:.3f}: above 1, the reference cannot be beaten")
            return False
        return True

    def positive(self, what: str, value: float) -> bool:
        if value <= 0:
            self.fail(f"{what} is {value:.6f}: it must be positive")
            return False
        return True

    def no_negative_latency(self, what: str, values_ms: Sequence[float]) -> bool:
        negative = [value for value in values_ms if value < 0]
        if negative:
            self.fail(
                f"{what}: {len(negative)} negative latencies (lowest {min(negative):.3f} ms): "
                "an effect before its cause"
            )
            return False
        return True

    def at_least(self, what: str, minimum: int, found: int) -> bool:
        if found < minimum:
            self.fail(f"{what}: {found} found, at least {minimum} needed")
            return False
        return True

    def export_timed(
        self, what: str, first_byte_s: float, total_s: float, rss: RssSamples, samples: int
    ) -> bool:
        """A first byte after the request and not after the last, and memory sampled at least
        `samples` times while the body came: a peak from fewer samples is no peak."""
        ok = self.positive(f"{what}: time to first byte", first_byte_s)
        if first_byte_s > total_s:
            self.fail(f"{what}: first byte at {first_byte_s:.3f} s, after the end {total_s:.3f} s")
            ok = False
        if len(rss.samples) < samples:
            self.fail(f"{what}: {len(rss.samples)} memory samples, at least {samples} needed")
            ok = False
        return ok

    def each_once(self, what: str, arrivals: Arrivals) -> bool:
        """Every document's event arrived, none twice, and each has its commit instant."""
        ok = True
        if arrivals.missing:
            self.fail(f"{what}: {len(arrivals.missing)} never arrived (e.g. {arrivals.missing[0]})")
            ok = False
        if arrivals.duplicated:
            document, times = next(iter(arrivals.duplicated.items()))
            self.fail(
                f"{what}: {len(arrivals.duplicated)} arrived more than once (e.g. {document} "
                f"{times} times)"
            )
            ok = False
        if arrivals.uncommitted:
            self.fail(
                f"{what}: {len(arrivals.uncommitted)} arrived without a commit instant "
                f"(e.g. {arrivals.uncommitted[0]})"
            )
            ok = False
        return ok

    def drain_longer_than_a_batch(self, drain: Drain, batch_size: int) -> bool:
        """A drain's rate needs a window holding at least one whole batch after the first one:
        a backlog drained in a single transaction (or timed from after its end) measures
        nothing."""
        if len(drain.batches) < 2 or drain.first_to_last_s <= 0:
            self.fail(
                f"drain of {drain.entries} entries in {len(drain.batches)} transaction(s), "
                f"{drain.first_to_last_s:.6f} s from first to last: shorter than one batch"
            )
            return False
        if drain.steady_entries < batch_size:
            self.fail(
                f"drain window holds {drain.steady_entries} entries after the first batch, "
                f"fewer than one batch ({batch_size}): the backlog is too small to time"
            )
            return False
        return True

    def started_before_first_entry(self, drain: Drain) -> bool:
        if drain.start_to_first_s <= 0:
            self.fail(
                f"first entry committed {drain.start_to_first_s:.3f} s after the start "
                "command: not after it, so the backlog was not waiting for this start"
            )
            return False
        return True


def verdict(valid: bool, conditions: Mapping[str, bool]) -> str:
    if not valid:
        return INVALID
    return MET if all(conditions.values()) else NOT_MET


def targets(
    *,
    valid: bool,
    pipeline_rate: float | None,
    pipeline_ratio: float | None,
    http_rate: float | None,
    http_ratio: float | None,
    counter_wait_ms: float | None,
    latency_rate: float | None,
    latency_p50_ms: float | None,
    latency_p99_ms: float | None,
    fec_seconds: float | None = None,
    fec_peak_rss_mb: float | None = None,
    customer_360_p95_ms: float | None = None,
    stream_p50_ms: float | None = None,
    stream_p99_ms: float | None = None,
    phases: Collection[str] = PHASES,
) -> dict[str, Any]:
    """The targets with the figure that decides each and a verdict (met, not met, invalid, not
    measured; `reported` for a figure without a target). A missing figure of a phase that ran
    makes its target invalid: it should have been measured; a phase left out by `--phases`
    leaves its targets not measured."""

    def judged(figures: dict[str, float | None], conditions: dict[str, bool]) -> str:
        return verdict(valid and all(v is not None for v in figures.values()), conditions)

    p1 = {"events_per_s": pipeline_rate, "ratio_of_raw_limit": pipeline_ratio}
    p2 = {"invoices_per_s": http_rate, "ratio_of_bare": http_ratio}
    p3 = {"rate_per_s": latency_rate, "p50_ms": latency_p50_ms, "p99_ms": latency_p99_ms}
    stream = {"p50_ms": stream_p50_ms, "p99_ms": stream_p99_ms}
    p4 = {"seconds": fec_seconds, "peak_rss_mb": fec_peak_rss_mb}
    found: dict[str, Any] = {
        "P1": {
            "what": "pipeline: billing events journaled per second, and its share of the raw limit",
            "target": {
                "events_per_s": f">= {P1_EVENTS_PER_S:g}",
                "ratio_of_raw_limit": f">= {P1_RATIO_OF_RAW_LIMIT}",
            },
            "measured": p1,
            "verdict": judged(
                p1,
                {
                    "rate": (pipeline_rate or 0) >= P1_EVENTS_PER_S,
                    "ratio": (pipeline_ratio or 0) >= P1_RATIO_OF_RAW_LIMIT,
                },
            ),
        },
        "P2": {
            "what": "HTTP invoice creation with the pipeline running, against the bare endpoint",
            "target": {
                "invoices_per_s": f">= {P2_INVOICES_PER_S:g}",
                "ratio_of_bare": f">= {P2_RATIO_OF_BARE}",
            },
            "measured": {**p2, "counter_wait_ms_per_invoice": counter_wait_ms},
            "verdict": judged(
                p2,
                {
                    "rate": (http_rate or 0) >= P2_INVOICES_PER_S,
                    "ratio": (http_ratio or 0) >= P2_RATIO_OF_BARE,
                },
            ),
        },
        "P3": {
            "what": "HTTP commit to journal entry commit, invoices at a steady rate",
            "target": {
                "rate_per_s": f"{P3_RATE_PER_S:g} sustained",
                "p50_ms": f"<= {P3_P50_MS:g}",
                "p99_ms": f"<= {P3_P99_MS:g}",
            },
            "measured": p3,
            "verdict": judged(
                p3,
                {
                    # Sustained: the invoices were committed at the rate asked, within 5 %.
                    "rate": (latency_rate or 0) >= 0.95 * P3_RATE_PER_S,
                    "p50": (latency_p50_ms if latency_p50_ms is not None else 1e9) <= P3_P50_MS,
                    "p99": (latency_p99_ms if latency_p99_ms is not None else 1e9) <= P3_P99_MS,
                },
            ),
        },
        "P4": {
            "what": f"FEC export of {P4_LINES:,} lines, streamed",
            "target": {"seconds": f"<= {P4_SECONDS:g}", "peak_rss_mb": f"<= {P4_PEAK_RSS_MB:g}"},
            "measured": p4,
            "verdict": judged(
                p4,
                {
                    "seconds": (fec_seconds if fec_seconds is not None else 1e9) <= P4_SECONDS,
                    "peak_rss_mb": (fec_peak_rss_mb if fec_peak_rss_mb is not None else 1e9)
                    <= P4_PEAK_RSS_MB,
                },
            ),
        },
        "360_first_page_p95_ms": {
            "what": f"reporting: GET /v1/customers/{{id}}/360 (first page) of a customer with "
            f"{CUSTOMER_360_EVENTS:,} events in their timeline, one client, p95",
            "target": {"p95_ms": f"<= {CUSTOMER_360_P95_MS:g}"},
            "measured": {"p95_ms": customer_360_p95_ms},
            "verdict": judged(
                {"p95_ms": customer_360_p95_ms},
                {
                    "p95": (customer_360_p95_ms if customer_360_p95_ms is not None else 1e9)
                    <= CUSTOMER_360_P95_MS
                },
            ),
        },
        "sse_commit_to_arrival_ms": {
            "what": "reporting: an invoice's commit at billing to its event's arrival on an "
            "open GET /v1/events/stream",
            "target": None,
            "measured": stream,
            "verdict": REPORTED if judged(stream, {}) == MET else INVALID,
        },
    }
    for name, needed in TARGET_PHASES.items():
        left_out = [phase for phase in needed if phase not in phases]
        if left_out:
            found[name].update(
                measured=None,
                verdict=NOT_MEASURED,
                reason=f"phase not run (--phases): {', '.join(left_out)}",
            )
    return found
