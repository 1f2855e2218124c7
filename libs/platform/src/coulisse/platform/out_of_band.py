"""Out-of-band writes: a change to a service's business table that the service did not make.

On PostgreSQL, each business table carries an AFTER INSERT OR UPDATE OR DELETE row trigger. When
the session that changes a row logged in as a role other than the service's own, the trigger
writes `<service>.database.out_of_band_write.v1` to the service's outbox, in the transaction of
the change: the relay publishes it like any other event, and a rolled-back change leaves none.

- The service's own role is the role that ran the migration installing the watch (services
  migrate with the role they run as: `coulisse up`, docker compose, the Kubernetes init
  containers). It is kept in one place, the function `coulisse_own_role()`; the triggers'
  `WHEN` clause compares it with `session_user`, so the service's own writes queue no trigger
  at all.
- `session_user`, not `current_user`: the role the session logged in as, which `SET ROLE` to
  the service's role does not change. The trigger function runs with its owner's rights
  (SECURITY DEFINER: a role with no right on the outbox still leaves its trace), and there
  `current_user` would name the owner.
- `row_key`: the primary key's values in the key's column order, as JSON writes them as text,
  joined by `/`. Subject: the row key. Record key: the row's customer id when the migration
  names the column holding it (`customer_id`, or `id` in a `customers` table), else the row key.
- Never watched: the platform's tables (`PLATFORM_TABLES`): outbox, inbox, idempotency keys,
  Alembic's version. They are written by the service alone, and a trigger on the outbox would
  feed on itself.
- SQLite has no database roles: nothing is installed there.

What it does not see: a superuser or the tables' owner can disable triggers
(`ALTER TABLE … DISABLE TRIGGER`, `session_replication_role = replica`); `TRUNCATE` fires no
row trigger; a person who logs in with the service's own credentials is the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from coulisse.contracts.base import EventPayload
from coulisse.contracts.out_of_band import OutOfBandWrite
from coulisse.contracts.registry import events_on
from coulisse.contracts.topics import TOPICS
from coulisse.platform.tables import platform_metadata
from coulisse.platform.uow import outbox_channel

PLATFORM_TABLES: frozenset[str] = frozenset({"alembic_version", *platform_metadata.tables})
"""Tables that are never watched: the delivery guarantee's own and Alembic's."""

TRIGGER = "coulisse_out_of_band_write"
FUNCTION = "coulisse_out_of_band_write"
OWN_ROLE_FUNCTION = "coulisse_own_role"
OUTBOX_KEY_LENGTH = 200  # outbox.key

# tgtype bits of pg_trigger: ROW, BEFORE, INSERT, DELETE, UPDATE.
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE = 1, 2, 4, 8, 16


class NotWatchable(ValueError):
    """A table the watch refuses: a platform table, or one without a primary key."""


@dataclass(frozen=True)
class Watch:
    """What a service's trigger function writes: who it is, where its events go."""

    service: str
    event_type: str
    topic: str
    channel: str

    @classmethod
    def of(cls, service: str, version: int = 1) -> Watch:
        model = event_model(service, version)
        return cls(service, model.TYPE, model.TOPIC, outbox_channel(service))


def event_model(service: str, version: int = 1) -> type[EventPayload]:
    """The out-of-band write event, in `version`, on the topic `service` produces."""
    topics = [topic.name for topic in TOPICS if topic.producer == service]
    if not topics:
        raise ValueError(f"{service!r} produces no topic: it has no outbox to write to")
    found = [
        model
        for model in events_on(topics[0])
        if issubclass(model, OutOfBandWrite) and model.TYPE.endswith(f".v{version}")
    ]
    if len(found) != 1:
        raise ValueError(f"{topics[0]} has {len(found)} out-of-band write types in v{version}")
    return found[0]


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def own_role_function_sql_v1(*, schema: str, own_role: str) -> str:
    """The service's own role, in one place: replaced (CREATE OR REPLACE) to move the service
    to another role, and read by every trigger's WHEN clause."""
    return f"""
CREATE OR REPLACE FUNCTION {quote_ident(schema)}.{OWN_ROLE_FUNCTION}() RETURNS name
LANGUAGE sql STABLE
AS $own$ SELECT {quote_literal(own_role)}::name $own$
"""


def trigger_function_sql_v1(*, schema: str, watch: Watch) -> str:
    """The trigger function, frozen once released: a change is a `_v2` and a new revision.

    The envelope has the fields `build_envelope` writes; the outbox row those of the unit of
    work's, and the relay is woken like after a commit of the service's.
    """
    outbox = f"{quote_ident(schema)}.outbox"
    return f"""
CREATE OR REPLACE FUNCTION {quote_ident(schema)}.{FUNCTION}() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $watch$
DECLARE
    changed jsonb;
    row_key text;
    customer text;
    record_key text;
    new_event_id uuid := gen_random_uuid();
    at_text text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    envelope json;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    SELECT string_agg(changed ->> a.attname, '/' ORDER BY k.position)
      INTO row_key
      FROM pg_index i
      CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = TG_RELID AND i.indisprimary;
    row_key := coalesce(row_key, '');
    IF TG_NARGS > 0 THEN
        customer := changed ->> TG_ARGV[0];
        IF customer !~* '^[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}$' THEN
            customer := NULL;
        END IF;
    END IF;
    record_key := left(coalesce(customer, row_key), {OUTBOX_KEY_LENGTH});
    envelope := json_build_object(
        'specversion', '1.0',
        'id', new_event_id,
        'source', {quote_literal("/coulisse/" + watch.service)},
        'type', {quote_literal(watch.event_type)},
        'subject', row_key,
        'time', at_text,
        'datacontenttype', 'application/json',
        'partitionkey', record_key,
        'actor', 'database:' || session_user,
        'correlationid', new_event_id,
        'data', json_build_object(
            'table', TG_TABLE_NAME,
            'operation', TG_OP,
            'row_key', row_key,
            'db_role', session_user,
            'at', at_text,
            'customer_id', customer
        )
    );
    INSERT INTO {outbox} ("event_id", "topic", "key", "event_type", "value", "created_at")
    VALUES (
        new_event_id,
        {quote_literal(watch.topic)},
        record_key,
        {quote_literal(watch.event_type)},
        convert_to(envelope::text, 'UTF8'),
        now()
    );
    PERFORM pg_notify({quote_literal(watch.channel)}, '');
    RETURN NULL;
END
$watch$
"""


def watch_table_sql_v1(*, schema: str, table: str, customer_column: str | None) -> str:
    """The trigger on one table; `customer_column` names the column holding the customer id."""
    argument = quote_literal(customer_column) if customer_column else ""
    return f"""
CREATE TRIGGER {TRIGGER}
AFTER INSERT OR UPDATE OR DELETE ON {quote_ident(schema)}.{quote_ident(table)}
FOR EACH ROW
WHEN (session_user <> {quote_ident(schema)}.{OWN_ROLE_FUNCTION}())
EXECUTE FUNCTION {quote_ident(schema)}.{FUNCTION}({argument})
"""


def unwatch_table_sql_v1(*, schema: str, table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote_ident(schema)}.{quote_ident(table)}"


def drop_functions_sql_v1(*, schema: str) -> list[str]:
    # No CASCADE: a trigger still using the function stops the downgrade instead of vanishing.
    return [
        f"DROP FUNCTION IF EXISTS {quote_ident(schema)}.{FUNCTION}()",
        f"DROP FUNCTION IF EXISTS {quote_ident(schema)}.{OWN_ROLE_FUNCTION}()",
    ]


def check_watchable(
    connection: sa.Connection, schema: str, tables: Mapping[str, str | None]
) -> None:
    """Refuses what must never be watched and what the trigger could not describe."""
    platform = sorted(PLATFORM_TABLES & set(tables))
    if platform:
        raise NotWatchable(f"platform tables are never watched: {', '.join(platform)}")
    for table, customer_column in tables.items():
        columns = set(
            connection.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = :schema AND table_name = :table"
                ),
                {"schema": schema, "table": table},
            ).scalars()
        )
        if not columns:
            raise NotWatchable(f"no table {schema}.{table}")
        if customer_column is not None and customer_column not in columns:
            raise NotWatchable(f"{table} has no column {customer_column}")
        has_key = connection.execute(
            sa.text(
                "SELECT 1 FROM pg_index WHERE indisprimary"
                " AND indrelid = to_regclass(quote_ident(:schema) || '.' || quote_ident(:table))"
            ),
            {"schema": schema, "table": table},
        ).first()
        if has_key is None:
            raise NotWatchable(f"{table} has no primary key: its rows could not be named")


def watched_tables(connection: sa.Connection) -> set[str]:
    """Tables of the current schema whose trigger is there, enabled, and fires after every
    insert, update and delete of a row."""
    every = _ROW | _INSERT | _DELETE | _UPDATE
    rows = connection.execute(
        sa.text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND t.tgname = :trigger"
            " AND NOT t.tgisinternal AND t.tgenabled <> 'D'"
            " AND t.tgtype & :every = :every AND t.tgtype & :before = 0"
        ),
        {"trigger": TRIGGER, "every": every, "before": _BEFORE},
    ).scalars()
    return set(rows)


def unwatched_tables(connection: sa.Connection) -> list[str]:
    """Tables of the current schema that are neither platform tables nor watched: a table added
    without its trigger (an operator's check, and a test of every service)."""
    tables = connection.execute(
        sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    ).scalars()
    watched = watched_tables(connection)
    return [t for t in tables if t not in PLATFORM_TABLES and t not in watched]


def own_role(connection: sa.Connection) -> str | None:
    """The role the watch takes for the service's own; None when it is not installed."""
    schema: str = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    function = f"{quote_ident(schema)}.{OWN_ROLE_FUNCTION}"
    installed = connection.execute(
        sa.text("SELECT to_regprocedure(:signature)"), {"signature": f"{function}()"}
    ).scalar()
    if installed is None:
        return None
    role: str = connection.execute(sa.text(f"SELECT {function}()")).scalar_one()
    return role
