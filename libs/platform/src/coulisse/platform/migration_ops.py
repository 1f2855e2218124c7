"""Migration steps for the guarantee's tables and the out-of-band write watch, shared by every
service's Alembic history.

Each function is frozen once released: a later change to the tables is a new function, called
by a new revision of each service, so old revisions always replay the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from alembic import op

from coulisse.platform import out_of_band


def create_platform_tables_v1() -> None:
    """outbox, inbox and idempotency_keys, as `coulisse.platform.tables` defines them."""
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("traceparent", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["position"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )


def drop_platform_tables_v1() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("idempotency_keys")


def watch_out_of_band_writes_v1(service: str, tables: Mapping[str, str | None]) -> None:
    """Installs the out-of-band write watch (`coulisse.platform.out_of_band`) on PostgreSQL:
    the service's own role (the role running this migration), the trigger function, and a
    trigger on each of `tables`, a mapping of business table → the column holding the
    customer id, or None. Nothing on SQLite, which has no roles.

    A revision that adds a business table later calls `watch_tables_v1` for it."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema, role = bind.execute(sa.text("SELECT current_schema(), session_user")).one()
    op.execute(out_of_band.own_role_function_sql_v1(schema=schema, own_role=role))
    op.execute(
        out_of_band.trigger_function_sql_v1(
            schema=schema, watch=out_of_band.Watch.of(service, version=1)
        )
    )
    watch_tables_v1(tables)


def watch_tables_v1(tables: Mapping[str, str | None]) -> None:
    """Triggers on more business tables, once the watch is installed (PostgreSQL only)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    out_of_band.check_watchable(bind, schema, tables)
    for table, customer_column in tables.items():
        op.execute(
            out_of_band.watch_table_sql_v1(
                schema=schema, table=table, customer_column=customer_column
            )
        )


def unwatch_tables_v1(tables: Iterable[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    for table in tables:
        op.execute(out_of_band.unwatch_table_sql_v1(schema=schema, table=table))


def unwatch_out_of_band_writes_v1(tables: Iterable[str]) -> None:
    """Removes the triggers from `tables`, then the functions (PostgreSQL only)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    unwatch_tables_v1(tables)
    schema = bind.execute(sa.text("SELECT current_schema()")).scalar_one()
    for statement in out_of_band.drop_functions_sql_v1(schema=schema):
        op.execute(statement)
