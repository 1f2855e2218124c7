"""write-off reason kept whole

The reason of a write-off comes from collections' event, which bounds no length: it is stored
as it came instead of being cut to 1,000 characters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 23:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite (the quick local run) never enforces a declared length: nothing to change there.
    if op.get_bind().dialect.name != "postgresql":
        return
    # varchar(n) → text only changes the catalogue on PostgreSQL: no table rewrite.
    op.alter_column("write_offs", "reason", type_=sa.Text(), existing_type=sa.String(length=1000))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Refused by PostgreSQL when a kept reason does not fit: the downgrade fails rather than cuts.
    op.alter_column("write_offs", "reason", type_=sa.String(length=1000), existing_type=sa.Text())
