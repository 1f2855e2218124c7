"""Out-of-band database writes: `<service>.database.out_of_band_write.v1`, recorded by a trigger
in a service's database when a role other than the service's own changes a business table.

Reporting reads them by type name on the four topics, whether or not this version has a model
for them: the fields are read from the event's data as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SERVICES: tuple[str, ...] = ("customer", "billing", "collections", "accounting")
TYPE_PATTERN = re.compile(
    r"^(customer|billing|collections|accounting)\.database\.out_of_band_write\.v1$"
)
TYPES: tuple[str, ...] = tuple(f"{s}.database.out_of_band_write.v1" for s in SERVICES)


def service_of(event_type: str) -> str | None:
    """The service whose database was written to, for an out-of-band write's type."""
    found = TYPE_PATTERN.match(event_type)
    return None if found is None else found.group(1)


@dataclass(frozen=True)
class OutOfBandWrite:
    table: str
    operation: str
    row_key: str
    db_role: str
    at: datetime | None


def _text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    return ("" if value is None else str(value))[:limit]


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def read(data: Mapping[str, Any]) -> OutOfBandWrite:
    """The write as the event gives it; a missing field reads as empty, never as an error (the
    write happened whatever its event says)."""
    return OutOfBandWrite(
        table=_text(data, "table", 200),
        operation=_text(data, "operation", 20).upper(),
        row_key=_text(data, "row_key", 2000),
        db_role=_text(data, "db_role", 200),
        at=_instant(data.get("at")),
    )


def describe(write: OutOfBandWrite, service: str) -> str:
    """The timeline's line for it."""
    return (
        f"Out-of-band {write.operation or 'write'} on {service}.{write.table or '?'} "
        f"(row {write.row_key or '?'}) by database role {write.db_role or '?'}"
    )
