from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from coulisse.contracts.customer import RequestOpened, RequestStatusChanged
from coulisse.customer.domain.requests import (
    SERVICE_LEVELS,
    CustomerRequest,
    RequestCategory,
    RequestStatus,
)
from coulisse.platform.domain import Conflict, InvalidInput

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def opened(category: RequestCategory = "refund") -> CustomerRequest:
    request = CustomerRequest.open(
        customer_id=uuid4(), category=category, subject="Trop-perçu sur F2026-000012", now=NOW
    )
    request.pull_events()
    return request


def test_opening_sets_the_service_level_deadline() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    request = CustomerRequest.open(
        customer_id=uuid4(), category="dispute", subject="Facture contestée", now=now
    )
    assert request.due_at == now + SERVICE_LEVELS["dispute"]
    [event] = request.pull_events()
    assert isinstance(event, RequestOpened)
    assert event.due_at == request.due_at


def test_valid_transitions_record_events() -> None:
    request = opened()
    request.change_status("in_progress", now=NOW)
    request.change_status("waiting_customer", now=NOW)
    request.change_status("resolved", "Remboursement émis", now=NOW)
    events = request.pull_events()
    assert [e.status for e in events if isinstance(e, RequestStatusChanged)] == [
        "in_progress",
        "waiting_customer",
        "resolved",
    ]
    assert request.closed_at is not None


@pytest.mark.parametrize(("first", "then"), [("resolved", "in_progress"), ("rejected", "resolved")])
def test_closed_requests_cannot_move(first: RequestStatus, then: RequestStatus) -> None:
    request = opened()
    request.change_status(first, "done", now=NOW)
    with pytest.raises(Conflict):
        request.change_status(then, "again", now=NOW)


def test_same_status_is_not_a_transition() -> None:
    with pytest.raises(Conflict):
        opened().change_status("open", now=NOW)


def test_closing_needs_a_resolution() -> None:
    with pytest.raises(InvalidInput) as error:
        opened().change_status("resolved", now=NOW)
    assert error.value.field == "resolution"


def test_overdue_when_open_past_deadline() -> None:
    request = CustomerRequest.open(
        customer_id=uuid4(),
        category="billing_question",
        subject="?",
        now=NOW - timedelta(days=3),
    )
    assert not request.is_overdue(NOW - timedelta(days=3))
    assert request.is_overdue(NOW)
    request.change_status("resolved", "answered", now=NOW)
    assert not request.is_overdue(NOW + timedelta(days=30))
