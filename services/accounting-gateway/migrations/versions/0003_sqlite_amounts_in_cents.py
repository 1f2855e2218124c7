"""sqlite amounts in cents

Amounts are exact on every database: on SQLite (the quick local run) a money column holds integer
cents, because SQLite's NUMERIC keeps binary floats. Lines posted before are converted once.
PostgreSQL keeps NUMERIC(15, 2): nothing changes there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:40:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Amounts below 10^13 with two decimals: amount × 100 is within a double's exact integers,
    # so rounding it gives the cents the float stood for.
    op.execute(
        "UPDATE journal_lines SET debit = CAST(ROUND(debit * 100) AS INTEGER), "
        "credit = CAST(ROUND(credit * 100) AS INTEGER)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("UPDATE journal_lines SET debit = debit / 100.0, credit = credit / 100.0")
