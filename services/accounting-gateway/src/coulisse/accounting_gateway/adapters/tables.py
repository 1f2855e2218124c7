"""The gateway's tables (SQLAlchemy Core), plus the guarantee's tables.

Posted entries and lines are append-only: on PostgreSQL, triggers (migration 0001) refuse any
UPDATE or DELETE of them, whatever the role. Lettering, which does evolve, lives in its own table
so that lines never change.

Texts that come from events or from the rules file (labels, piece references, actors, lettering
keys, event types) are `Text`: the contracts bound none of them, and the books keep them whole
(migration 0002). The API bounds what a person types in (`entrypoints/schemas.py`).
"""

from __future__ import annotations

import sqlalchemy as sa

from coulisse.platform.tables import BigIntPk, include_platform_tables
from coulisse.platform.types import MoneyType

metadata = sa.MetaData()

# NUMERIC(15, 2) on PostgreSQL; integer cents on SQLite (migration 0003).
Amount = MoneyType()

journal_entries = sa.Table(
    "journal_entries",
    metadata,
    # Order of validation: the FEC and the journal list entries in this order.
    sa.Column("position", BigIntPk, primary_key=True, autoincrement=True),
    sa.Column("id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("journal_code", sa.String(6), nullable=False),
    sa.Column("fiscal_year", sa.Integer(), nullable=False),
    sa.Column("sequence", sa.Integer(), nullable=False),
    sa.Column("entry_number", sa.String(30), nullable=False, unique=True),
    sa.Column("entry_date", sa.Date(), nullable=False),
    sa.Column("piece_ref", sa.Text(), nullable=False),
    sa.Column("piece_date", sa.Date(), nullable=False),
    sa.Column("label", sa.Text(), nullable=False),
    # One event → at most one entry, ever.
    sa.Column("source_event_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("source_event_type", sa.Text(), nullable=True),
    sa.Column("trace_id", sa.String(32), nullable=True),
    sa.Column("actor", sa.Text(), nullable=False),
    sa.Column("manual", sa.Boolean(), nullable=False),
    # An entry is reversed at most once.
    sa.Column("reverses_id", sa.Uuid(), nullable=True, unique=True),
    sa.Column("rules_version", sa.String(50), nullable=True),
    sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("journal_code", "fiscal_year", "sequence", name="uq_entry_sequence"),
    sa.Index("ix_journal_entries_date", "entry_date", "position"),
)

journal_lines = sa.Table(
    "journal_lines",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("entry_id", sa.Uuid(), sa.ForeignKey("journal_entries.id"), nullable=False),
    sa.Column("line_no", sa.Integer(), nullable=False),
    sa.Column("account", sa.String(12), nullable=False),
    sa.Column("account_label", sa.Text(), nullable=False),
    sa.Column("auxiliary_account", sa.String(40), nullable=True),
    sa.Column("label", sa.Text(), nullable=False),
    sa.Column("debit", Amount, nullable=False),
    sa.Column("credit", Amount, nullable=False),
    sa.CheckConstraint(
        "debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0) AND debit + credit > 0",
        name="ck_journal_lines_one_side",
    ),
    sa.UniqueConstraint("entry_id", "line_no", name="uq_journal_lines_entry_line"),
    sa.Index("ix_journal_lines_account", "account", "auxiliary_account"),
    sa.Index("ix_journal_lines_auxiliary", "auxiliary_account"),
)

# The documents a receivable line creates or settles (invoice ids), for lettering.
line_matches = sa.Table(
    "line_matches",
    metadata,
    sa.Column("line_id", sa.Uuid(), sa.ForeignKey("journal_lines.id"), primary_key=True),
    sa.Column("match_key", sa.Text(), primary_key=True),
    sa.Index("ix_line_matches_key", "match_key"),
)

letters = sa.Table(
    "letters",
    metadata,
    sa.Column("line_id", sa.Uuid(), sa.ForeignKey("journal_lines.id"), primary_key=True),
    sa.Column("account", sa.String(12), nullable=False),
    sa.Column("auxiliary_account", sa.String(40), nullable=True),
    sa.Column("letter", sa.String(4), nullable=False),
    sa.Column("lettered_on", sa.Date(), nullable=False),
    sa.Column("lettered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_letters_code", "account", "auxiliary_account", "letter"),
)

# Gapless numbers (`VT-2026`) and letter codes (`letter:411:C000042`): one row per series,
# incremented in the posting transaction, so a rollback gives its numbers back.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

periods = sa.Table(
    "periods",
    metadata,
    sa.Column("period", sa.String(7), primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("closed_by", sa.Text(), nullable=True),
    sa.Column("entry_count", sa.Integer(), nullable=False),
)

suspense = sa.Table(
    "suspense",
    metadata,
    sa.Column("source_event_id", sa.Uuid(), primary_key=True),
    sa.Column("source_event_type", sa.Text(), nullable=False),
    sa.Column("reason", sa.String(30), nullable=False),
    sa.Column("error", sa.Text(), nullable=False),
    # The whole CloudEvent when it could be read; the raw record value when it could not.
    sa.Column("envelope", sa.JSON(), nullable=True),
    sa.Column("raw", sa.LargeBinary(), nullable=True),
    sa.Column("origin", sa.String(200), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("resolved_by", sa.Text(), nullable=True),
    sa.Column("entry_id", sa.Uuid(), nullable=True),
    sa.Index("ix_suspense_status", "status", "suspended_at"),
)

# Labels of the customers' auxiliary accounts (FEC `CompAuxLib`). Erasure keeps the label: the
# books must keep the name of the party for as long as the law keeps the books.
auxiliary_accounts = sa.Table(
    "auxiliary_accounts",
    metadata,
    sa.Column("account_number", sa.String(40), primary_key=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False, unique=True),
    sa.Column("label", sa.Text(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
)

include_platform_tables(metadata)
