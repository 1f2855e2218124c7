"""charge waivers, reference rates entered since the release, contract rates

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import coulisse.platform.types  # exact rates on every database

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(
            sa.Column("contract_rate", coulisse.platform.types.PercentType(), nullable=True)
        )
        batch.add_column(sa.Column("contract_rate_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("contract_rate_reference", sa.String(200), nullable=True))
    with op.batch_alter_table("receivables") as batch:
        batch.add_column(
            sa.Column("waived_charges", sa.JSON(), nullable=False, server_default="[]")
        )
    op.create_table(
        "charge_waivers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_id", sa.Uuid(), nullable=False),
        sa.Column("invoice_number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("waived_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["receivables.invoice_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "kind", name="uq_charge_waivers_invoice_kind"),
    )
    op.create_index("ix_charge_waivers_customer", "charge_waivers", ["customer_id"])
    op.create_table(
        "reference_rates",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("rate", coulisse.platform.types.PercentType(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "effective_on"),
    )


def downgrade() -> None:
    op.drop_table("reference_rates")
    op.drop_index("ix_charge_waivers_customer", table_name="charge_waivers")
    op.drop_table("charge_waivers")
    with op.batch_alter_table("receivables") as batch:
        batch.drop_column("waived_charges")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("contract_rate_reference")
        batch.drop_column("contract_rate_from")
        batch.drop_column("contract_rate")
