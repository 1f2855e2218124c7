"""The FEC phase's counting and checks, and the synthetic billing events of the P4 books."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued, PaymentReceived
from coulisse.ops.bench.fec import describe_fec
from coulisse.ops.bench.fec_books import LINES_PER_CYCLE, cycle, cycles_for, envelopes
from coulisse.ops.bench.figures import FecBody, RssSamples, Sanity, megabytes

HEADER = b"JournalCode\tJournalLib\tEcritureNum\r\n"
LINE = b"VT\tVentes\tVT-2025-000001\r\n"


class TestFecBody:
    def test_lines_are_counted_across_chunks_without_the_header(self) -> None:
        body = HEADER + LINE * 5
        counted = FecBody()
        # Chunks cut anywhere, even inside a CRLF.
        for start in range(0, len(body), 7):
            counted.feed(body[start : start + 7])
        assert counted.records == 5
        assert counted.lines == 6
        assert counted.bytes == len(body)

    def test_a_last_line_without_its_line_end_still_counts(self) -> None:
        counted = FecBody()
        counted.feed(HEADER + LINE + LINE.rstrip())
        assert counted.records == 2

    def test_an_empty_body_or_a_header_alone_holds_no_record(self) -> None:
        empty = FecBody()
        empty.feed(b"")
        assert empty.records == 0
        header = FecBody()
        header.feed(HEADER)
        assert header.records == 0


class TestRssSamples:
    def test_the_peak_is_the_highest_sample_before_included(self) -> None:
        assert RssSamples(300, (100, 250, 200), 0.1).peak_bytes == 300
        assert RssSamples(100, (100, 250, 200), 0.1).peak_bytes == 250

    def test_the_interval_achieved(self) -> None:
        assert RssSamples(0, (1, 2, 3), 0.1).interval_ms == pytest.approx(50.0)
        assert RssSamples(0, (1,), 0.0).interval_ms == 0.0

    def test_megabytes_are_mebibytes(self) -> None:
        assert megabytes(200 * 1024 * 1024) == 200.0


class TestExportSanity:
    def test_a_timed_export_with_enough_samples_passes(self) -> None:
        sanity = Sanity()
        assert sanity.export_timed("fec", 0.2, 20.0, RssSamples(1, (1, 2, 3), 0.1), 3)
        assert sanity.valid

    def test_a_first_byte_after_the_end_or_not_after_the_start_is_invalid(self) -> None:
        samples = RssSamples(1, (1, 2, 3), 0.1)
        sanity = Sanity()
        assert not sanity.export_timed("fec", 21.0, 20.0, samples, 3)
        assert "after the end" in sanity.problems[0]
        sanity = Sanity()
        assert not sanity.export_timed("fec", 0.0, 20.0, samples, 3)

    def test_too_few_memory_samples_is_invalid(self) -> None:
        sanity = Sanity()
        assert not sanity.export_timed("fec", 0.2, 20.0, RssSamples(1, (1, 2), 0.05), 3)
        assert "memory samples" in sanity.problems[0]

    def test_lines_received_must_be_the_lines_of_the_database(self) -> None:
        sanity = Sanity()
        assert not sanity.counts_match("FEC lines", 1_000_000, 999_999)
        assert not sanity.valid


def test_the_report_gives_median_and_spread_on_the_client_clock() -> None:
    runs = [
        {
            "lines": 1_000_100,
            "bytes": 200_000_000,
            "first_byte_s": first,
            "total_s": total,
            "peak_rss_mb": peak,
            "rss_before_mb": 90.0,
            "rss_samples": 400,
            "rss_interval_ms": 50.2,
        }
        for first, total, peak in [(0.2, 21.0, 120.0), (0.1, 20.0, 110.0), (0.3, 23.0, 130.0)]
    ]
    found = describe_fec({"fiscal_year": 2025, "books": "reused"}, runs)
    assert found["seconds"]["value"]["median"] == 21.0
    assert found["seconds"]["value"]["min"] == 20.0
    assert found["seconds"]["clock"] == "client-monotonic"
    assert found["peak_rss_mb"]["value"]["median"] == 120.0
    assert found["first_byte_s"]["value"]["max"] == 0.3
    assert found["lines"] == 1_000_100


class TestSyntheticBooks:
    def test_a_cycle_is_deterministic(self) -> None:
        first = [e.model_dump(mode="json") for e in cycle(7)]
        again = [e.model_dump(mode="json") for e in cycle(7)]
        assert first == again
        assert cycle(8)[0].invoice_id != cycle(7)[0].invoice_id  # type: ignore[attr-defined]

    def test_documents_add_up_and_the_payment_settles_what_is_due(self) -> None:
        for index in (0, 1, 359, 360):
            events = cycle(index)
            invoices = [e for e in events if isinstance(e, InvoiceIssued)]
            credits = [e for e in events if isinstance(e, CreditNoteIssued)]
            (payment,) = [e for e in events if isinstance(e, PaymentReceived)]
            assert len(credits) == (1 if index % 10 == 0 else 0)
            documents: list[InvoiceIssued | CreditNoteIssued] = [*invoices, *credits]
            for document in documents:
                assert document.total_gross == document.total_net + document.total_vat
                assert document.total_net == sum(line.net for line in document.lines)
                assert document.total_vat == sum(line.vat for line in document.lines)
            assert {b.vat_rate for b in invoices[0].vat_breakdown} == {
                Decimal("10.0"),
                Decimal("20.0"),
            }
            due = sum(i.total_gross for i in invoices) - sum(c.total_gross for c in credits)
            assert payment.amount == due == sum(a.amount for a in payment.allocations)
            assert payment.unallocated == Decimal("0.00")
            assert all(e.issue_date.year == 2025 for e in invoices)
            assert payment.received_on.year == 2025

    def test_envelopes_are_one_cloudevent_a_line(self) -> None:
        lines = list(envelopes(0, 2))
        assert len(lines) == len(cycle(0)) + len(cycle(1))
        for line in lines:
            assert line.endswith(b"\n") and line.count(b"\n") == 1
            event = json.loads(line)
            assert event["type"].startswith("billing.")
            assert event["source"]

    def test_cycles_for_the_lines_missing(self) -> None:
        assert cycles_for(0) == 0
        assert cycles_for(-5) == 0
        assert cycles_for(1_000_000) * LINES_PER_CYCLE >= 1_000_000
