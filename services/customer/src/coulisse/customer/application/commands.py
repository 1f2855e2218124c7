"""Commands: what a caller asks the customer service to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ..domain.customers import CustomerKind, Profile
from ..domain.requests import RequestCategory, RequestChannel, RequestStatus


@dataclass(frozen=True)
class RegisterCustomer:
    kind: CustomerKind
    profile: Profile


@dataclass(frozen=True)
class UpdateCustomer:
    customer_id: UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class EraseCustomer:
    customer_id: UUID


@dataclass(frozen=True)
class OpenRequest:
    customer_id: UUID
    category: RequestCategory
    subject: str
    description: str | None = None
    invoice_id: UUID | None = None
    channel: RequestChannel | None = None


@dataclass(frozen=True)
class ChangeRequestStatus:
    request_id: UUID
    status: RequestStatus
    resolution: str | None = None
