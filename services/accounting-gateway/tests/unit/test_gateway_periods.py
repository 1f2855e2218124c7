"""Periods: nothing is dated in a closed month; months close in order, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coulisse.accounting_gateway.domain.periods import (
    Period,
    next_period,
    period_of,
    posting_date,
)
from coulisse.contracts.accounting import PeriodClosed
from coulisse.platform.domain import Conflict, InvalidInput

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_next_period_crosses_the_year() -> None:
    assert next_period("2026-12") == "2027-01"
    assert next_period("2026-01") == "2026-02"
    with pytest.raises(InvalidInput):
        next_period("2026-13")


def test_a_document_in_a_closed_month_is_dated_the_first_day_of_the_next_open_one() -> None:
    assert posting_date(date(2026, 3, 14), set()) == date(2026, 3, 14)
    assert posting_date(date(2026, 3, 14), {"2026-03"}) == date(2026, 4, 1)
    assert posting_date(date(2026, 11, 30), {"2026-11", "2026-12"}) == date(2027, 1, 1)
    assert posting_date(date(2026, 3, 14), {"2026-02"}) == date(2026, 3, 14)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.sets(st.sampled_from([f"{y}-{m:02d}" for y in (2025, 2026, 2027) for m in range(1, 13)])),
)
def test_no_date_ever_falls_in_a_closed_month(document: date, closed: set[str]) -> None:
    posted = posting_date(document, closed)
    assert period_of(posted) not in closed
    assert posted >= document


def test_closing_records_the_fact() -> None:
    period = Period("2026-10")
    period.close(
        today=NOW.date(), now=NOW, actor="comptable", entry_count=3, earlier_open_with_entries=[]
    )
    assert period.status == "closed" and period.closed_by == "comptable"
    [event] = period.pull_events()
    assert isinstance(event, PeriodClosed) and event.entry_count == 3 and event.period == "2026-10"
    with pytest.raises(Conflict):
        period.close(
            today=NOW.date(), now=NOW, actor="x", entry_count=3, earlier_open_with_entries=[]
        )


def test_months_close_in_order_and_not_before_they_begin() -> None:
    with pytest.raises(Conflict) as error:
        Period("2026-10").close(
            today=NOW.date(),
            now=NOW,
            actor="x",
            entry_count=0,
            earlier_open_with_entries=["2026-09"],
        )
    assert error.value.extra["open_periods"] == ["2026-09"]
    with pytest.raises(Conflict):
        Period("2026-12").close(
            today=NOW.date(), now=NOW, actor="x", entry_count=0, earlier_open_with_entries=[]
        )
