"""Tables of the delivery guarantee that every service database holds.

- `outbox`: events written in the same transaction as the state change, published by the relay.
- `inbox`: `(consumer, event_id)` of every event a consumer has applied, in the effect's transaction.
- `idempotency_keys`: the first response to a creating POST, replayed for the same key.
"""

from __future__ import annotations

import sqlalchemy as sa

BigIntPk = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


platform_metadata = sa.MetaData()

outbox_table = sa.Table(
    "outbox",
    platform_metadata,
    # Publication order: per-key order is kept because rows leave in position order.
    sa.Column("position", BigIntPk, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("value", sa.LargeBinary(), nullable=False),
    sa.Column("traceparent", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index(
        "ix_outbox_pending",
        "position",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)
inbox_table = sa.Table(
    "inbox",
    platform_metadata,
    sa.Column("consumer", sa.String(100), primary_key=True),
    sa.Column("event_id", sa.Uuid(), primary_key=True),
    sa.Column("event_type", sa.String(200), nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
)
idempotency_table = sa.Table(
    "idempotency_keys",
    platform_metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=False),
    sa.Column("response_body", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def include_platform_tables(metadata: sa.MetaData) -> None:
    """Adds the guarantee's tables to a service's metadata, for its migrations."""
    for table in platform_metadata.tables.values():
        table.to_metadata(metadata)
