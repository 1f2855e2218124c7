"""Customer requests (cases): what a customer asked, by when we must answer, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID, uuid4

from coulisse.contracts.customer import RequestOpened, RequestStatusChanged
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

RequestCategory = Literal[
    "billing_question", "refund", "dispute", "payment_arrangement", "address_change", "other"
]
RequestStatus = Literal["open", "in_progress", "waiting_customer", "resolved", "rejected"]
RequestChannel = Literal["phone", "email", "web", "store", "mail", "chat"]

# Service-level deadline per category: the pulse counts requests still open past it.
SERVICE_LEVELS: dict[str, timedelta] = {
    "billing_question": timedelta(days=2),
    "refund": timedelta(days=5),
    "dispute": timedelta(days=10),
    "payment_arrangement": timedelta(days=3),
    "address_change": timedelta(days=2),
    "other": timedelta(days=5),
}

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "waiting_customer", "resolved", "rejected"}),
    "in_progress": frozenset({"waiting_customer", "resolved", "rejected"}),
    "waiting_customer": frozenset({"in_progress", "resolved", "rejected"}),
    "resolved": frozenset(),
    "rejected": frozenset(),
}
CLOSED = frozenset({"resolved", "rejected"})


@dataclass
class CustomerRequest(Aggregate):
    id: UUID
    customer_id: UUID
    category: RequestCategory
    subject: str
    opened_at: datetime
    due_at: datetime
    updated_at: datetime
    status: RequestStatus = "open"
    description: str | None = None
    invoice_id: UUID | None = None
    channel: RequestChannel | None = None
    resolution: str | None = None
    closed_at: datetime | None = None
    version: int = 1

    @classmethod
    def open(
        cls,
        *,
        customer_id: UUID,
        category: RequestCategory,
        subject: str,
        description: str | None = None,
        invoice_id: UUID | None = None,
        channel: RequestChannel | None = None,
        now: datetime,
    ) -> CustomerRequest:
        if not subject.strip():
            raise InvalidInput("the subject must not be empty", field="subject")
        opened_at = now
        request = cls(
            id=uuid4(),
            customer_id=customer_id,
            category=category,
            subject=subject,
            description=description,
            invoice_id=invoice_id,
            channel=channel,
            opened_at=opened_at,
            due_at=opened_at + SERVICE_LEVELS[category],
            updated_at=opened_at,
        )
        request.record(
            RequestOpened(
                request_id=request.id,
                customer_id=customer_id,
                category=category,
                subject=subject,
                invoice_id=invoice_id,
                opened_at=opened_at,
                due_at=request.due_at,
            )
        )
        return request

    def is_overdue(self, now: datetime) -> bool:
        return self.status not in CLOSED and now > self.due_at

    def change_status(
        self, status: RequestStatus, resolution: str | None = None, *, now: datetime
    ) -> None:
        if status not in TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(TRANSITIONS[self.status])) or "none (the request is closed)"
            raise Conflict(
                f"a request cannot go from {self.status} to {status}; allowed: {allowed}",
                field="status",
            )
        if status in CLOSED and not (resolution and resolution.strip()):
            raise InvalidInput(
                f"a {status} request needs a resolution saying why", field="resolution"
            )
        changed_at = now
        self.status = status
        if resolution is not None:
            self.resolution = resolution
        if status in CLOSED:
            self.closed_at = changed_at
        self.updated_at = changed_at
        self.version += 1
        self.record(
            RequestStatusChanged(
                request_id=self.id,
                customer_id=self.customer_id,
                status=status,
                changed_at=changed_at,
                resolution=resolution,
            )
        )

    def forget_personal_data(self) -> None:
        """Erasure of the customer: free text may hold personal data."""
        self.description = None
        if self.resolution is not None:
            self.resolution = "(erased)"
        self.version += 1
