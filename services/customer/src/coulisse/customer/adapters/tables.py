"""The customer database's tables (SQLAlchemy Core), plus the guarantee's tables."""

from __future__ import annotations

import sqlalchemy as sa

from coulisse.platform.tables import include_platform_tables

metadata = sa.MetaData()

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("account_number", sa.String(12), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("vat_number", sa.String(20), nullable=True),
    sa.Column("siren", sa.String(9), nullable=True),
    sa.Column("payment_terms_days", sa.Integer(), nullable=False),
    sa.Column("address", sa.JSON(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_customers_email", "email"),
    sa.Index("ix_customers_display_name", "display_name"),
)

# One row per counter; incremented inside the registering transaction, so a number is never
# handed out twice and never reused.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(50), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

customer_requests = sa.Table(
    "customer_requests",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("category", sa.String(30), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("invoice_id", sa.Uuid(), nullable=True),
    sa.Column("channel", sa.String(10), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("resolution", sa.Text(), nullable=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_customer_requests_customer", "customer_id", "opened_at"),
    sa.Index("ix_customer_requests_status", "status", "opened_at"),
)

# Each customer's data key, wrapped by a master key: the only way to open the personal fields
# of the customer's events. Erasure deletes the row (crypto-shredding).
personal_data_keys = sa.Table(
    "personal_data_keys",
    metadata,
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("key_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("master_key_id", sa.String(64), nullable=False),
    sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("wrapped_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_personal_data_keys_master_key", "master_key_id"),
)

include_platform_tables(metadata)
