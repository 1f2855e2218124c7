"""The payload every service publishes when its database was changed from outside the service.

A trigger in each service's PostgreSQL database writes it to that service's outbox, in the
transaction of the change, when the database role that made the change is not the service's
own (`coulisse.platform.out_of_band`). The four event types
(`<service>.database.out_of_band_write.v1`) share this payload; each service's module declares
its own, on its own topic.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from .base import ContractModel
from .money import Instant

Operation = Literal["INSERT", "UPDATE", "DELETE"]


class OutOfBandWrite(ContractModel):
    """A row of a business table was inserted, updated or deleted by a database role other than
    the service's own: a change the service did not make, such as a patch made by hand.

    Subject: `row_key`. Record key: `customer_id` when the row names a customer, else `row_key`
    (cut to 200 characters, the outbox's limit).
    """

    SUBJECT_FIELD: ClassVar[str] = "row_key"
    # Required by the declaration check; `partition_key` below prefers the customer when known.
    PARTITION_KEY_FIELD: ClassVar[str] = "row_key"
    PARTITION_KEY_DESCRIPTION: ClassVar[str | None] = (
        "The `customer_id` of `data` when it is set, else its `row_key` (at most 200 characters)."
    )

    table: str = Field(description="The table whose row changed, e.g. `invoices`.")
    operation: Operation = Field(description="What was done to the row.")
    row_key: str = Field(
        description="The row's primary key as text: its columns' values in the key's order, "
        "joined by `/` (`F/2026`); for a DELETE, the key the row had, for an UPDATE, the key "
        "it has now."
    )
    db_role: str = Field(
        description="The database role the session that made the change logged in as "
        "(PostgreSQL's `session_user`)."
    )
    at: Instant = Field(description="When the transaction that made the change started, in UTC.")
    customer_id: UUID | None = Field(
        default=None,
        description="The customer the row belongs to (its `customer_id` column, or the id of a "
        "row of a `customers` table), when it names one.",
    )

    @property
    def partition_key(self) -> str:
        """The customer, so the event stays in order with the customer's other events; else
        the row."""
        key = str(self.customer_id) if self.customer_id is not None else self.row_key
        return key[:200]
