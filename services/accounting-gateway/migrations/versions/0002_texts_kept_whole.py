"""texts kept whole

Labels, piece references, actors, lettering keys and event types come from events, the rules
file or a token: the contracts bound none of them, and the books must keep them as they came
rather than cut them to a column's width. They become `text`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, width it had in 0001)
WIDENED = [
    ("journal_entries", "piece_ref", 100),
    ("journal_entries", "label", 300),
    ("journal_entries", "source_event_type", 200),
    ("journal_entries", "actor", 200),
    ("journal_lines", "account_label", 200),
    ("journal_lines", "label", 300),
    ("line_matches", "match_key", 64),
    ("periods", "closed_by", 200),
    ("suspense", "source_event_type", 200),
    ("suspense", "resolved_by", 200),
    ("auxiliary_accounts", "label", 200),
]


def upgrade() -> None:
    # SQLite (the quick local run) never enforces a declared length: nothing to change there.
    if op.get_bind().dialect.name != "postgresql":
        return
    # varchar(n) → text is binary-coercible: PostgreSQL changes the catalogue only, without
    # rewriting the table or its indexes, and fires no row trigger, so the triggers that refuse
    # any UPDATE of posted entries (0001) neither fire nor need lifting. They name no column, so
    # the type change leaves them in place.
    for table, column, width in WIDENED:
        op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length=width))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Narrowing is refused by PostgreSQL ("value too long") when a kept text does not fit:
    # the downgrade fails rather than cuts.
    for table, column, width in WIDENED:
        op.alter_column(table, column, type_=sa.String(length=width), existing_type=sa.Text())
