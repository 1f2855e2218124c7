"""The raw PostgreSQL limit of the machine for the gateway's work: the very rows a drain posted
(entries, lines, lettering matches, inbox rows, outbox rows, the numbering counters), copied
with fresh identities into tables built like the gateway's, in batches of the consumer's size,
one transaction each, by COPY. No rules, no ORM, no Kafka: what any posting must write.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

TABLES = ("journal_entries", "journal_lines", "line_matches", "counters", "inbox", "outbox")

# The gateway's tables as its migrations create them (checked against its database by
# `database.schema_differences` before use). Its triggers refuse UPDATE and DELETE
# only: an insert does not fire them, so they are left out.
SCHEMA = """
DROP TABLE IF EXISTS line_matches, journal_lines, journal_entries, counters, inbox, outbox CASCADE;
CREATE TABLE journal_entries (
    position bigserial PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    journal_code varchar(6) NOT NULL,
    fiscal_year integer NOT NULL,
    sequence integer NOT NULL,
    entry_number varchar(30) NOT NULL UNIQUE,
    entry_date date NOT NULL,
    piece_ref text NOT NULL,
    piece_date date NOT NULL,
    label text NOT NULL,
    source_event_id uuid UNIQUE,
    source_event_type text,
    trace_id varchar(32),
    actor text NOT NULL,
    manual boolean NOT NULL,
    reverses_id uuid UNIQUE,
    rules_version varchar(50),
    posted_at timestamptz NOT NULL,
    CONSTRAINT uq_entry_sequence UNIQUE (journal_code, fiscal_year, sequence)
);
CREATE INDEX ix_journal_entries_date ON journal_entries (entry_date, position);
CREATE TABLE journal_lines (
    id uuid PRIMARY KEY,
    entry_id uuid NOT NULL REFERENCES journal_entries (id),
    line_no integer NOT NULL,
    account varchar(12) NOT NULL,
    account_label text NOT NULL,
    auxiliary_account varchar(40),
    label text NOT NULL,
    debit numeric(15, 2) NOT NULL,
    credit numeric(15, 2) NOT NULL,
    CONSTRAINT ck_journal_lines_one_side
        CHECK (debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0) AND debit + credit > 0),
    CONSTRAINT uq_journal_lines_entry_line UNIQUE (entry_id, line_no)
);
CREATE INDEX ix_journal_lines_account ON journal_lines (account, auxiliary_account);
CREATE INDEX ix_journal_lines_auxiliary ON journal_lines (auxiliary_account);
CREATE TABLE line_matches (
    line_id uuid NOT NULL REFERENCES journal_lines (id),
    match_key text NOT NULL,
    PRIMARY KEY (line_id, match_key)
);
CREATE INDEX ix_line_matches_key ON line_matches (match_key);
CREATE TABLE counters (name varchar(100) PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE inbox (
    consumer varchar(100) NOT NULL,
    event_id uuid NOT NULL,
    event_type varchar(200) NOT NULL,
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE outbox (
    position bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    topic varchar(200) NOT NULL,
    key varchar(200) NOT NULL,
    event_type varchar(200) NOT NULL,
    value bytea NOT NULL,
    traceparent varchar(100),
    created_at timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX ix_outbox_pending ON outbox (position) WHERE published_at IS NULL;
"""

ENTRY_COLUMNS = (
    "id",
    "journal_code",
    "fiscal_year",
    "sequence",
    "entry_number",
    "entry_date",
    "piece_ref",
    "piece_date",
    "label",
    "source_event_id",
    "source_event_type",
    "trace_id",
    "actor",
    "manual",
    "reverses_id",
    "rules_version",
    "posted_at",
)
LINE_COLUMNS = (
    "id",
    "entry_id",
    "line_no",
    "account",
    "account_label",
    "auxiliary_account",
    "label",
    "debit",
    "credit",
)


async def create_schema(connection: asyncpg.Connection) -> None:
    await connection.execute(SCHEMA)


OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "value", "traceparent", "created_at")


@dataclass
class PostedRows:
    """What the gateway wrote for a backlog, read back from its database."""

    entries: list[Any]
    lines: list[Any]
    matches: list[Any]
    inbox: list[Any]
    outbox: list[Any]

    def per_event(self) -> dict[str, float]:
        events = max(len(self.entries), 1)
        return {
            "lines": round(len(self.lines) / events, 2),
            "matches": round(len(self.matches) / events, 2),
            "inbox_rows": round(len(self.inbox) / events, 2),
            "outbox_rows": round(len(self.outbox) / events, 2),
        }


async def posted_rows(
    gateway: asyncpg.Connection, source_ids: Sequence[UUID], outbox_after: int
) -> PostedRows:
    entries = await gateway.fetch(
        f"SELECT {', '.join(ENTRY_COLUMNS)} FROM journal_entries "
        "WHERE source_event_id = ANY($1::uuid[]) ORDER BY position",
        list(source_ids),
    )
    entry_ids = [e["id"] for e in entries]
    lines = await gateway.fetch(
        f"SELECT {', '.join(LINE_COLUMNS)} FROM journal_lines WHERE entry_id = ANY($1::uuid[])",
        entry_ids,
    )
    matches = await gateway.fetch(
        "SELECT line_id, match_key FROM line_matches WHERE line_id = ANY($1::uuid[])",
        [line["id"] for line in lines],
    )
    inbox = await gateway.fetch(
        "SELECT consumer, event_id, event_type, processed_at FROM inbox "
        "WHERE event_id = ANY($1::uuid[])",
        list(source_ids),
    )
    outbox = await gateway.fetch(
        f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE position > $1 ORDER BY position",
        outbox_after,
    )
    return PostedRows(list(entries), list(lines), list(matches), list(inbox), list(outbox))


async def insert_copies(
    connection: asyncpg.Connection, rows: PostedRows, batch_size: int
) -> dict[str, Any]:
    """Inserts a fresh copy of `rows` (new identities, new numbers), `batch_size` events per
    transaction; returns the seconds it took on the client's monotonic clock."""
    lines_of: dict[Any, list[Any]] = {}
    for line in rows.lines:
        lines_of.setdefault(line["entry_id"], []).append(line)
    matches_of: dict[Any, list[Any]] = {}
    for match in rows.matches:
        matches_of.setdefault(match["line_id"], []).append(match)
    outbox = list(rows.outbox)
    inbox_of = {row["event_id"]: row for row in rows.inbox}
    started = time.monotonic()
    for offset in range(0, len(rows.entries), batch_size):
        batch = rows.entries[offset : offset + batch_size]
        async with connection.transaction():
            series = Counter(f"{e['journal_code']}-{e['fiscal_year']}" for e in batch)
            last = {
                r["name"]: int(r["value"])
                for r in await connection.fetch(
                    "INSERT INTO counters (name, value) SELECT * FROM unnest($1::text[], "
                    "$2::bigint[]) ON CONFLICT (name) DO UPDATE "
                    "SET value = counters.value + excluded.value RETURNING name, value",
                    sorted(series),
                    [series[name] for name in sorted(series)],
                )
            }
            following = {name: last[name] - count + 1 for name, count in series.items()}
            entries: list[tuple[Any, ...]] = []
            lines: list[tuple[Any, ...]] = []
            matches: list[tuple[Any, ...]] = []
            inbox: list[tuple[Any, ...]] = []
            for entry in batch:
                name = f"{entry['journal_code']}-{entry['fiscal_year']}"
                sequence, following[name] = following[name], following[name] + 1
                entry_id, source_id = uuid.uuid4(), uuid.uuid4()
                values = dict(entry)
                values.update(
                    id=entry_id,
                    sequence=sequence,
                    entry_number=f"{name}-{sequence:06d}",
                    source_event_id=source_id,
                )
                entries.append(tuple(values[c] for c in ENTRY_COLUMNS))
                for line in lines_of.get(entry["id"], []):
                    line_id = uuid.uuid4()
                    lines.append((line_id, entry_id, *tuple(line)[2:]))
                    matches.extend(
                        (line_id, m["match_key"]) for m in matches_of.get(line["id"], [])
                    )
                kept = inbox_of.get(entry["source_event_id"])
                if kept is not None:
                    inbox.append(
                        (kept["consumer"], source_id, kept["event_type"], kept["processed_at"])
                    )
            events = [
                (uuid.uuid4(), *tuple(row)[1:]) for row in outbox[offset : offset + len(batch)]
            ]
            await connection.copy_records_to_table(
                "journal_entries", records=entries, columns=ENTRY_COLUMNS
            )
            await connection.copy_records_to_table(
                "journal_lines", records=lines, columns=LINE_COLUMNS
            )
            await connection.copy_records_to_table(
                "line_matches", records=matches, columns=("line_id", "match_key")
            )
            await connection.copy_records_to_table(
                "inbox",
                records=inbox,
                columns=("consumer", "event_id", "event_type", "processed_at"),
            )
            await connection.copy_records_to_table("outbox", records=events, columns=OUTBOX_COLUMNS)
            await connection.execute("SELECT pg_notify('outbox_bench_raw', '')")
    return {
        "events": len(rows.entries),
        "batch": batch_size,
        "rows_per_event": rows.per_event(),
        "seconds": time.monotonic() - started,
    }
