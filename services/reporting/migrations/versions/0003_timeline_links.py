"""timeline links: journal entries on the timeline of the customer whose account they name

`rm_entries` keeps the id of the event that gave each entry; `rm_timeline_links` puts an event
that names a customer only through an account number (a journal entry's 411/416 lines) on that
customer's timeline. Entries read before this revision have no event id: they join customers'
timelines through a rebuild (`python -m coulisse.reporting rebuild`, or `POST /v1/admin/rebuild`).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rm_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Uuid(), nullable=True))

    op.create_table(
        "rm_timeline_links",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "event_id", name="pk_rm_timeline_links"),
    )
    with op.batch_alter_table("rm_timeline_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rm_timeline_links_customer", ["customer_id", "occurred_at", "seq"], unique=False
        )
        batch_op.create_index(
            "ix_rm_timeline_links_customer_seq", ["customer_id", "seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rm_timeline_links", schema=None) as batch_op:
        batch_op.drop_index("ix_rm_timeline_links_customer_seq")
        batch_op.drop_index("ix_rm_timeline_links_customer")

    op.drop_table("rm_timeline_links")
    with op.batch_alter_table("rm_entries", schema=None) as batch_op:
        batch_op.drop_column("event_id")
