"""The collections database's tables (SQLAlchemy Core), plus the guarantee's tables.

Collections owns no money: `receivables` and `receivable_facts` are its view of billing's
invoices, payments and credit notes; the other tables hold its own decisions.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from coulisse.platform.tables import include_platform_tables
from coulisse.platform.types import MoneyType, PercentType

metadata = sa.MetaData()


def _money(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    # NUMERIC(18, 2): room beyond the contracts' 15 digits for sums.
    return sa.Column(name, MoneyType(precision=18), nullable=nullable)


# Customers as collections learns them from customer.events (and billing's invoices, which name
# the account), with what collections decided about them: their own policy, an exclusion,
# insolvency proceedings. No personal data: kind, account and terms only.
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=True),
    sa.Column("account_number", sa.String(20), nullable=True),
    sa.Column("payment_terms_days", sa.Integer(), nullable=True),
    sa.Column("erased", sa.Boolean(), nullable=False),
    sa.Column("policy", sa.JSON(), nullable=True),
    sa.Column("exclusion_reason", sa.Text(), nullable=True),
    sa.Column("exclusion_until", sa.Date(), nullable=True),
    sa.Column("insolvency_kind", sa.String(20), nullable=True),
    sa.Column("insolvency_opened_on", sa.Date(), nullable=True),
    sa.Column("contract_rate", PercentType(), nullable=True),
    sa.Column("contract_rate_from", sa.Date(), nullable=True),
    sa.Column("contract_rate_reference", sa.String(200), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One receivable per invoice. The invoice's columns stay empty until billing's invoice is read:
# a payment may come first. `amount_due` is kept for the queries.
receivables = sa.Table(
    "receivables",
    metadata,
    sa.Column("invoice_id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=True),
    sa.Column("kind", sa.String(10), nullable=True),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    _money("gross", nullable=True),
    _money("vat", nullable=True),
    _money("paid"),
    _money("credited"),
    _money("written_off"),
    _money("amount_due"),
    sa.Column("level", sa.Integer(), nullable=False),
    sa.Column("level_reached_on", sa.Date(), nullable=True),
    sa.Column("indemnity_assessed_on", sa.Date(), nullable=True),
    sa.Column("interest_assessed_through", sa.Date(), nullable=True),
    sa.Column("plan_id", sa.Uuid(), nullable=True),
    sa.Column("waived_charges", sa.JSON(), nullable=False, server_default="[]"),
    sa.Column("doubtful_on", sa.Date(), nullable=True),
    sa.Column("settled_on", sa.Date(), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_receivables_customer", "customer_id", "due_date"),
)

# Each fact that reduced a receivable, once: the primary key refuses a fact applied twice.
receivable_facts = sa.Table(
    "receivable_facts",
    metadata,
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("receivables.invoice_id"), primary_key=True),
    sa.Column("fact_id", sa.Uuid(), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    _money("amount"),
)

# The service's own default policy, once changed (none: the policy shipped with the service).
dunning_policy = sa.Table(
    "dunning_policy",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("levels", sa.JSON(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# One row, locked by every real run: runs happen one at a time and in date order.
run_log = sa.Table(
    "run_log",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("last_run_on", sa.Date(), nullable=True),
)

dunning_runs = sa.Table(
    "dunning_runs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    # One real run per date: the same date again does nothing.
    sa.Column("as_of", sa.Date(), nullable=False, unique=True),
    sa.Column("held", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("run_id", sa.Uuid(), sa.ForeignKey("dunning_runs.id"), nullable=False),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("level", sa.Integer(), nullable=False),
    sa.Column("level_name", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("sent_on", sa.Date(), nullable=False),
    _money("amount_due"),
    sa.Index("ix_notices_customer", "customer_id", "sent_on"),
    sa.Index("ix_notices_run", "run_id"),
)

notice_lines = sa.Table(
    "notice_lines",
    metadata,
    sa.Column("notice_id", sa.Uuid(), sa.ForeignKey("notices.id"), primary_key=True),
    sa.Column("position", sa.Integer(), primary_key=True),
    sa.Column("invoice_id", sa.Uuid(), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=False),
    _money("amount_due"),
    sa.Column("days_late", sa.Integer(), nullable=False),
)

# Late-payment charges assessed by the runs; `interest` says how late interest was counted.
fees = sa.Table(
    "fees",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("run_id", sa.Uuid(), sa.ForeignKey("dunning_runs.id"), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_id", sa.Uuid(), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    _money("amount"),
    sa.Column("assessed_on", sa.Date(), nullable=False),
    sa.Column("interest", sa.JSON(), nullable=True),
    sa.Index("ix_fees_run", "run_id"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("receivables.invoice_id"), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("opened_on", sa.Date(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("outcome", sa.String(10), nullable=True),
    sa.Column("resolved_on", sa.Date(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_disputes_invoice", "invoice_id"),
    sa.Index("ix_disputes_customer", "customer_id"),
)

# `counted_payments`: the payments already counted towards the promise, by id.
promises = sa.Table(
    "promises",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    _money("amount"),
    sa.Column("promised_on", sa.Date(), nullable=False),
    sa.Column("recorded_on", sa.Date(), nullable=False),
    sa.Column("grace_days", sa.Integer(), nullable=False),
    sa.Column("request_id", sa.Uuid(), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    _money("paid"),
    sa.Column("closed_on", sa.Date(), nullable=True),
    sa.Column("counted_payments", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_promises_customer", "customer_id", "status"),
)

# Instalments and what settled the plan's invoices are small lists read and written whole.
payment_plans = sa.Table(
    "payment_plans",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_ids", sa.JSON(), nullable=False),
    sa.Column("installments", sa.JSON(), nullable=False),
    sa.Column("agreed_on", sa.Date(), nullable=False),
    sa.Column("grace_days", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("received", sa.JSON(), nullable=False),
    sa.Column("missed_due_date", sa.Date(), nullable=True),
    _money("missed_amount", nullable=True),
    sa.Column("closed_on", sa.Date(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_payment_plans_customer", "customer_id", "status"),
)

write_offs = sa.Table(
    "write_offs",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("receivables.invoice_id"), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    _money("amount_net"),
    _money("amount_vat"),
    _money("amount_gross"),
    sa.Column("written_off_on", sa.Date(), nullable=False),
    sa.Column("was_doubtful", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_write_offs_customer", "customer_id"),
)

# Charges waived before a run assessed them, with the reason.
charge_waivers = sa.Table(
    "charge_waivers",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_id", sa.Uuid(), sa.ForeignKey("receivables.invoice_id"), nullable=False),
    sa.Column("invoice_number", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("waived_on", sa.Date(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("invoice_id", "kind", name="uq_charge_waivers_invoice_kind"),
    sa.Index("ix_charge_waivers_customer", "customer_id"),
)

# Reference rates published after the release, entered by an operator; the shipped ones are in
# the package (data/reference_rates.csv).
reference_rates = sa.Table(
    "reference_rates",
    metadata,
    sa.Column("kind", sa.String(30), primary_key=True),
    sa.Column("effective_on", sa.Date(), primary_key=True),
    sa.Column("rate", PercentType(), nullable=False),
    sa.Column("source", sa.String(300), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

include_platform_tables(metadata)

# -- notice delivery --

# The contact details notices are sent to, from customer.events: the only personal data
# collections keeps, in a table of its own so that an erasure is one delete. `stated_at`: when
# the customer service stated each field (an older event read later changes nothing).
notice_recipients = sa.Table(
    "notice_recipients",
    metadata,
    sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("display_name", sa.Text(), nullable=True),
    sa.Column("email", sa.Text(), nullable=True),
    sa.Column("address", sa.JSON(), nullable=True),
    sa.Column("stated_at", sa.JSON(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# What became of each notice, written by the notice sender when it first handles it (a notice
# without a row is pending). `document`: the e-mail as sent or the PDF, until an erasure.
notice_deliveries = sa.Table(
    "notice_deliveries",
    metadata,
    sa.Column("notice_id", sa.Uuid(), sa.ForeignKey("notices.id"), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("message_id", sa.String(200), nullable=True),
    sa.Column("detail", sa.Text(), nullable=True),
    sa.Column("media_type", sa.String(40), nullable=True),
    sa.Column("document", sa.LargeBinary(), nullable=True),
    sa.Column("document_erased", sa.Boolean(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_notice_deliveries_due", "status", "next_attempt_at"),
)
