"""personal data keys: each customer's data key, wrapped by a master key

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_data_keys",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sa.Uuid(), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrapped_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id"),
        sa.UniqueConstraint("key_id"),
    )
    with op.batch_alter_table("personal_data_keys", schema=None) as batch_op:
        batch_op.create_index("ix_personal_data_keys_master_key", ["master_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("personal_data_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_data_keys_master_key")
    op.drop_table("personal_data_keys")
