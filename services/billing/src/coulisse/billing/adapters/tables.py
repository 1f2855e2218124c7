"""The billing database's tables (SQLAlchemy Core), plus the guarantee's tables."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from coulisse.platform.tables import include_platform_tables
from coulisse.platform.types import MoneyType

metadata = sa.MetaData()


def _money(name: str) -> sa.Column[Any]:
    # NUMERIC(18, 2) since the first migration: room beyond the contracts' 15 digits for sums.
    return sa.Column(name, MoneyType(precision=18), nullable=False)


# Customers as billing learns them from customer.events; the row also holds the customer's credit,
# and is locked whenever that credit moves. The account number's uniqueness is the customer
# service's rule: billing records what it is told rather than refuse an event over it.
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=True),
    sa.Column("display_name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("payment_terms_days", sa.Integer(), nullable=True),
    _money("credit_available"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per series and year. `value` is incremented inside the issuing transaction, so the row
# stays locked until commit: a rollback gives the number back and concurrent issuers wait in turn.
number_counters = sa.Table(
    "number_counters",
    metadata,
    sa.Column("series", sa.String(5), primary_key=True),
    sa.Column("year", sa.Integer(), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
    sa.Column("last_issue_date", sa.Date(), nullable=True),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("number", sa.String(20), nullable=True, unique=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    _money("total_net"),
    _money("total_vat"),
    _money("total_gross"),
    _money("amount_paid"),
    _money("amount_credited"),
    sa.Column("credited_by_rate", sa.JSON(), nullable=False),
    _money("credit_applied"),
    _money("amount_written_off"),
    _money("amount_due"),
    sa.Column("written_off_on", sa.Date(), nullable=True),
    # One fee invoice per assessed fee, however often the event is delivered.
    sa.Column("source_fee_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index("ix_invoices_customer", "customer_id", "created_at"),
    sa.Index("ix_invoices_status", "status", "created_at"),
)


def _line_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("quantity", sa.String(20), nullable=False),
        _money("unit_price"),
        sa.Column("vat_rate", sa.String(5), nullable=False),
        _money("net"),
        _money("vat"),
        sa.Column("revenue_account", sa.String(10), nullable=True),
    ]


invoice_lines = sa.Table(
    "invoice_lines",
    metadata,
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoices.id"), primary_key=True),
    *_line_columns(),
)

credit_notes = sa.Table(
    "credit_notes",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("issue_date", sa.Date(), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    _money("total_net"),
    _money("total_vat"),
    _money("total_gross"),
    _money("to_customer_credit"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_credit_notes_invoice", "invoice_id"),
    sa.Index("ix_credit_notes_customer", "customer_id"),
)

credit_note_lines = sa.Table(
    "credit_note_lines",
    metadata,
    sa.Column("credit_note_id", sa.Uuid(), sa.ForeignKey("credit_notes.id"), primary_key=True),
    *_line_columns(),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    _money("amount"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("received_on", sa.Date(), nullable=False),
    sa.Column("external_ref", sa.String(100), nullable=False),
    _money("unallocated"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # The bank's reference identifies a payment of a customer: received twice is a mistake.
    sa.UniqueConstraint("customer_id", "external_ref", name="uq_payments_customer_external_ref"),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("payment_id", sa.Uuid(), sa.ForeignKey("payments.id"), primary_key=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoices.id"), primary_key=True),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    _money("amount"),
    sa.Index("ix_allocations_invoice", "invoice_id"),
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    _money("amount"),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("issued_on", sa.Date(), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("request_id", sa.Uuid(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_refunds_customer", "customer_id"),
)

# Write-offs decided by collections, as billing applied them.
write_offs = sa.Table(
    "write_offs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    _money("amount_gross"),
    _money("to_customer_credit"),
    sa.Column("written_off_on", sa.Date(), nullable=False),
    # Collections' words, kept as they came: the event bounds no length.
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_write_offs_customer", "customer_id"),
)

include_platform_tables(metadata)
