"""`coulisse bench`: measures the running local system without lying about it.

Modules: `figures` (the arithmetic and the sanity checks, pure), `drive` (the HTTP client),
`broker` (offsets, lag poller, raw Kafka limit), `database` (commit timestamps, counts,
`pg_stat_activity` samples), `bare` (the bare reference endpoint), `raw_postgres` (the raw
PostgreSQL limit), `profiling` (py-spy), `customer_360` and `streams` (reporting's 360° view and
live stream), `fec_books` and `fec` (the P4 books and their FEC export), `phases` and `run` (the
phases and the report).
"""

from coulisse.ops.bench.broker import Offsets, read_all
from coulisse.ops.bench.drive import BOOKS_LINE, invoice_body, payment_body
from coulisse.ops.bench.figures import percentile
from coulisse.ops.bench.phases import GATEWAY, Target
from coulisse.ops.bench.run import BenchConfig, Report, phases_of, run, write

__all__ = [
    "BOOKS_LINE",
    "GATEWAY",
    "BenchConfig",
    "Offsets",
    "Report",
    "Target",
    "invoice_body",
    "payment_body",
    "percentile",
    "phases_of",
    "read_all",
    "run",
    "write",
]
