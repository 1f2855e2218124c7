"""The reporting database's tables (SQLAlchemy Core), plus the guarantee's tables.

The read model is a set of `rm_*` tables built by `read_model(metadata, suffix)`: the live set
(no suffix) answers the routes; a rebuild fills the same set under the `__rebuild` suffix and
then renames it into place. Every name (tables, keys, indexes) ends with the suffix, so the
swap only strips it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from coulisse.platform.tables import include_platform_tables
from coulisse.platform.types import MoneyType

SHADOW_SUFFIX = "__rebuild"

metadata = sa.MetaData()


def _money(name: str, *, nullable: bool = False, zero: bool = False) -> sa.Column[Any]:
    return sa.Column(
        name,
        MoneyType(precision=18),
        nullable=nullable,
        server_default=sa.text("0") if zero else None,
    )


@dataclass(frozen=True)
class ReadModel:
    """One complete set of read-model tables."""

    suffix: str
    state: sa.Table
    timeline: sa.Table
    profiles: sa.Table
    balances: sa.Table
    invoices: sa.Table
    collections: sa.Table
    disputes: sa.Table
    promises: sa.Table
    plans: sa.Table
    requests: sa.Table
    accounts: sa.Table
    movements: sa.Table
    entries: sa.Table
    receivable_lines: sa.Table
    suspensions: sa.Table
    refunds: sa.Table
    out_of_band_writes: sa.Table
    timeline_links: sa.Table

    @property
    def tables(self) -> tuple[sa.Table, ...]:
        return (
            self.state,
            self.timeline,
            self.profiles,
            self.balances,
            self.invoices,
            self.collections,
            self.disputes,
            self.promises,
            self.plans,
            self.requests,
            self.accounts,
            self.movements,
            self.entries,
            self.receivable_lines,
            self.suspensions,
            self.refunds,
            self.out_of_band_writes,
            self.timeline_links,
        )

    def object_names(self) -> list[tuple[str, str, str]]:
        """(table, kind, name) of each named key and index, `kind` 'constraint' or 'index'."""
        found: list[tuple[str, str, str]] = []
        for table in self.tables:
            for constraint in table.constraints:
                if isinstance(constraint.name, str):
                    found.append((table.name, "constraint", constraint.name))
            for index in table.indexes:
                if isinstance(index.name, str):
                    found.append((table.name, "index", index.name))
        return found


def read_model(meta: sa.MetaData, suffix: str = "") -> ReadModel:
    def name(base: str) -> str:
        return f"{base}{suffix}"

    def pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
        return sa.PrimaryKeyConstraint(*columns, name=name(f"pk_{table}"))

    def index(table: str, label: str, *columns: str) -> sa.Index:
        return sa.Index(name(f"ix_{table}_{label}"), *columns)

    state = sa.Table(
        name("rm_state"),
        meta,
        # `timeline_seq`: the last position handed out, advanced in the writer's transaction
        # (coulisse.platform.counters), so positions become visible in increasing order.
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        pk("rm_state", "name"),
    )
    timeline = sa.Table(
        name("rm_timeline"),
        meta,
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("trace_id", sa.String(32), nullable=True),
        pk("rm_timeline", "event_id"),
        sa.UniqueConstraint("seq", name=name("uq_rm_timeline_seq")),
        index("rm_timeline", "customer", "customer_id", "occurred_at", "seq"),
        index("rm_timeline", "customer_seq", "customer_id", "seq"),
    )
    # Events that name a customer only through an account: a journal entry's 411/416 lines
    # carry the customer's account number. A link puts such an event (its timeline row has no
    # customer) on that customer's timeline; `seq` and `occurred_at` repeat the row's, so that
    # a timeline page reads the links in order from their own index.
    timeline_links = sa.Table(
        name("rm_timeline_links"),
        meta,
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        pk("rm_timeline_links", "customer_id", "event_id"),
        index("rm_timeline_links", "customer", "customer_id", "occurred_at", "seq"),
        index("rm_timeline_links", "customer_seq", "customer_id", "seq"),
    )
    profiles = sa.Table(
        name("rm_profiles"),
        meta,
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("set_at", sa.JSON(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        pk("rm_profiles", "customer_id"),
    )
    # Sums are added to, never overwritten: any order of the events gives the same balance.
    balances = sa.Table(
        name("rm_balances"),
        meta,
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        _money("invoiced", zero=True),
        _money("credited", zero=True),
        _money("paid", zero=True),
        _money("refunded", zero=True),
        _money("written_off", zero=True),
        pk("rm_balances", "customer_id"),
    )
    invoices = sa.Table(
        name("rm_invoices"),
        meta,
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(40), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        _money("gross", nullable=True),
        _money("paid", zero=True),
        _money("credited", zero=True),
        sa.Column("written_off", sa.Boolean(), nullable=False, server_default=sa.false()),
        pk("rm_invoices", "invoice_id"),
        index("rm_invoices", "customer", "customer_id", "due_date"),
    )
    collections = sa.Table(
        name("rm_collections"),
        meta,
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("level_name", sa.String(100), nullable=True),
        sa.Column("level_on", sa.Date(), nullable=True),
        _money("level_amount_due", nullable=True),
        _money("doubtful", zero=True),
        sa.Column("insolvency_kind", sa.String(20), nullable=True),
        sa.Column("insolvency_opened_on", sa.Date(), nullable=True),
        pk("rm_collections", "customer_id"),
    )
    disputes = sa.Table(
        name("rm_disputes"),
        meta,
        sa.Column("dispute_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        pk("rm_disputes", "dispute_id"),
        index("rm_disputes", "customer", "customer_id"),
    )
    promises = sa.Table(
        name("rm_promises"),
        meta,
        sa.Column("promise_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        _money("amount"),
        sa.Column("promised_on", sa.Date(), nullable=False),
        # standing, kept or broken: an outcome is never replaced by `standing`.
        sa.Column("status", sa.String(20), nullable=False),
        _money("paid", nullable=True),
        pk("rm_promises", "promise_id"),
        index("rm_promises", "customer", "customer_id"),
    )
    plans = sa.Table(
        name("rm_plans"),
        meta,
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("installments", sa.Integer(), nullable=True),
        _money("total", nullable=True),
        sa.Column("first_due_date", sa.Date(), nullable=True),
        sa.Column("last_due_date", sa.Date(), nullable=True),
        # agreed, breached or completed: an outcome is never replaced by `agreed`.
        sa.Column("status", sa.String(20), nullable=False),
        pk("rm_plans", "plan_id"),
        index("rm_plans", "customer", "customer_id"),
    )
    requests = sa.Table(
        name("rm_requests"),
        meta,
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        pk("rm_requests", "request_id"),
        index("rm_requests", "customer", "customer_id"),
    )
    # -- what the reports read: dated money movements, the books' receivables, suspense --------
    # An auxiliary account of the books (the customer's account number) and its customer, from
    # every event carrying both. Account numbers are never reused; should two customers ever
    # show the same one, both pairs are kept and the reports pick the smallest customer id, so
    # that the order the events were read in does not matter.
    accounts = sa.Table(
        name("rm_accounts"),
        meta,
        sa.Column("account_number", sa.String(40), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        pk("rm_accounts", "account_number", "customer_id"),
        index("rm_accounts", "customer", "customer_id"),
    )
    # What each billing or collections event changes in what a customer owes, dated by its
    # document: an invoice (+), a credit note, a payment's allocation or its unallocated part, a
    # write-off (−), a refund (+). One row per (event, line): a redelivery writes nothing new.
    movements = sa.Table(
        name("rm_movements"),
        meta,
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        # invoice, fee_invoice, credit_note, payment, refund, write_off
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        # None: on the customer's account (an unallocated payment, a refund)
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        _money("amount"),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        pk("rm_movements", "event_id", "line"),
        index("rm_movements", "customer", "customer_id", "on_date"),
        index("rm_movements", "invoice", "invoice_id", "on_date"),
        index("rm_movements", "kind", "kind", "on_date"),
    )
    # Journal entries as `accounting.entry.posted.v1` gives them. `lines_digest` identifies the
    # lines (journal, accounts, labels, amounts); `mirror_digest` is that of the same lines with
    # debit and credit swapped: a later entry whose digest is an earlier one's mirror reverses it.
    entries = sa.Table(
        name("rm_entries"),
        meta,
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        # the `accounting.entry.posted.v1` event that gave it (None: read before revision 0003)
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("journal_code", sa.String(10), nullable=False),
        sa.Column("entry_number", sa.String(40), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("source_event_id", sa.Uuid(), nullable=True),
        sa.Column("source_event_type", sa.String(200), nullable=True),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        _money("total"),
        sa.Column("lines_digest", sa.String(64), nullable=False),
        sa.Column("mirror_digest", sa.String(64), nullable=False),
        pk("rm_entries", "entry_id"),
        index("rm_entries", "source", "source_event_id"),
        index("rm_entries", "digest", "lines_digest"),
        index("rm_entries", "posted", "manual", "posted_at"),
    )
    # The lines of those entries on receivable accounts (411, 416): the customers' sub-ledgers.
    receivable_lines = sa.Table(
        name("rm_receivable_lines"),
        meta,
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("auxiliary_account", sa.String(40), nullable=True),
        sa.Column("entry_date", sa.Date(), nullable=False),
        _money("debit"),
        _money("credit"),
        pk("rm_receivable_lines", "entry_id", "line"),
        index("rm_receivable_lines", "auxiliary", "auxiliary_account", "entry_date"),
        index("rm_receivable_lines", "date", "entry_date"),
    )
    # Events the books suspended; one is resolved once an entry names it as its source.
    suspensions = sa.Table(
        name("rm_suspensions"),
        meta,
        sa.Column("source_event_id", sa.Uuid(), nullable=False),
        sa.Column("source_event_type", sa.String(200), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        # the first suspension: a retry that fails again does not make it younger
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        pk("rm_suspensions", "source_event_id"),
        index("rm_suspensions", "since", "suspended_at"),
    )
    refunds = sa.Table(
        name("rm_refunds"),
        meta,
        sa.Column("refund_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        _money("amount"),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        pk("rm_refunds", "refund_id"),
        index("rm_refunds", "request", "request_id"),
    )
    # `<service>.database.out_of_band_write.v1`: a business table changed outside the service.
    out_of_band_writes = sa.Table(
        name("rm_out_of_band_writes"),
        meta,
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("service", sa.String(40), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(20), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("db_role", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        pk("rm_out_of_band_writes", "event_id"),
        index("rm_out_of_band_writes", "occurred", "occurred_at"),
    )
    return ReadModel(
        suffix,
        state,
        timeline,
        profiles,
        balances,
        invoices,
        collections,
        disputes,
        promises,
        plans,
        requests,
        accounts,
        movements,
        entries,
        receivable_lines,
        suspensions,
        refunds,
        out_of_band_writes,
        timeline_links,
    )


LIVE = read_model(metadata)
SHADOW = read_model(sa.MetaData(), SHADOW_SUFFIX)
"""Built only by a rebuild, never by the migrations."""

# Rebuilds asked for (POST /v1/admin/rebuild, `python -m coulisse.reporting rebuild`) and what
# became of them; the rebuilder takes the oldest requested one.
rebuilds = sa.Table(
    "rebuilds",
    metadata,
    sa.Column("id", sa.Uuid(), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("consumer_group", sa.String(200), nullable=True),
    sa.Column("events", sa.BigInteger(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_rebuilds"),
    sa.Index("ix_rebuilds_state", "state", "requested_at"),
)

include_platform_tables(metadata)
