"""out-of-band writes watched

A trigger on every business table records a change made by any database role other than the
service's own (the role running this migration) as `customer.database.out_of_band_write.v1` in
the outbox, in the transaction of the change (`coulisse.platform.out_of_band`). PostgreSQL only:
SQLite has no roles. A table added later is watched by the revision that creates it
(`watch_tables_v1`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:00:00

"""

from collections.abc import Sequence

from coulisse.platform.migration_ops import (
    unwatch_out_of_band_writes_v1,
    watch_out_of_band_writes_v1,
)

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every business table, with the column holding the customer id (the record key) if it has one.
BUSINESS_TABLES: dict[str, str | None] = {
    "customers": "id",
    "customer_requests": "customer_id",
    "personal_data_keys": "customer_id",
    "counters": None,
}


def upgrade() -> None:
    watch_out_of_band_writes_v1("customer", BUSINESS_TABLES)


def downgrade() -> None:
    unwatch_out_of_band_writes_v1(BUSINESS_TABLES)
