"""The books: journal entries and their lines, posted in bulk, numbered without gaps, lettered.

Entries added during a unit of work are written together when it flushes (at commit, or when a
handler needs the numbers): one round trip per table whatever the batch size, which is what lets
the consumer apply a whole Kafka batch in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from coulisse.contracts.base import EventPayload
from coulisse.platform.clock import Clock, default_clock
from coulisse.platform.counters import advance
from coulisse.platform.repository import Repository
from coulisse.platform.uow import EventOrigin

from ..domain.journal_entry import JournalEntry
from ..domain.lettering import OpenItem, letter_code, settled_groups
from .rows import entry_from_row
from .sql import insert_rows
from .tables import counters, journal_entries, journal_lines, letters, line_matches, suspense


class Books(Repository):
    def __init__(
        self,
        session: Any,
        track: Any,
        emit: Callable[[EventPayload, EventOrigin | None], None] | None = None,
        clock: Clock | None = None,
        origin: Callable[[], EventOrigin] | None = None,
    ) -> None:
        super().__init__(session, track)
        # Read-only uses (queries, exports) never number an entry, so they need no clock.
        self._clock = clock or default_clock()
        # Posted entries hand their events straight to the unit of work: tracking thousands of
        # aggregates one by one would cost a scan of the tracked list each.
        self._emit = emit
        self._origin = origin
        self._pending: list[JournalEntry] = []
        # Entries are numbered and published at commit, for the whole batch: each keeps the
        # actor, flow and trace of the event that caused it, taken when it was added.
        self._origins: dict[UUID, EventOrigin] = {}

    def add(self, entry: JournalEntry) -> None:
        self._pending.append(entry)
        if self._origin is not None:
            self._origins[entry.id] = self._origin()

    async def flush(self) -> list[JournalEntry]:
        """Numbers, writes and letters every pending entry; returns those really posted."""
        pending, self._pending = self._pending, []
        origins, self._origins = self._origins, {}
        if not pending:
            return []
        entries = await self._not_yet_posted(pending)
        if not entries:
            return []
        steps = Counter(f"{e.journal_code}-{e.fiscal_year}" for e in entries)
        last = await advance(self.session, counters, steps)
        following = {name: last[name] - count + 1 for name, count in steps.items()}
        now = self._clock.now()
        for entry in entries:
            series = f"{entry.journal_code}-{entry.fiscal_year}"
            entry.number(following[series], now)
            following[series] += 1
            if self._emit is None:
                self.track(entry)
            else:
                for event in entry.pull_events():
                    self._emit(event, origins.get(entry.id))
        await self._write(entries)
        await self._resolve_suspended(entries, now)
        await self._letter(entries, now)
        return entries

    async def _not_yet_posted(self, pending: list[JournalEntry]) -> list[JournalEntry]:
        # The inbox already absorbs redeliveries; this also covers an event posted by a suspense
        # retry and then delivered again after a dead letter.
        sources = [e.source_event_id for e in pending if e.source_event_id is not None]
        posted: set[UUID] = set()
        if sources:
            posted = set(
                (
                    await self.session.execute(
                        sa.select(journal_entries.c.source_event_id).where(
                            journal_entries.c.source_event_id.in_(sources)
                        )
                    )
                ).scalars()
            )
        fresh: list[JournalEntry] = []
        for entry in pending:
            if entry.source_event_id is not None:
                if entry.source_event_id in posted:
                    continue
                posted.add(entry.source_event_id)
            fresh.append(entry)
        return fresh

    async def _write(self, entries: Sequence[JournalEntry]) -> None:
        await insert_rows(
            self.session,
            journal_entries,
            [
                {
                    "id": e.id,
                    "journal_code": e.journal_code,
                    "fiscal_year": e.fiscal_year,
                    "sequence": int((e.entry_number or "0").rsplit("-", 1)[-1]),
                    "entry_number": e.entry_number,
                    "entry_date": e.entry_date,
                    "piece_ref": e.piece_ref,
                    "piece_date": e.piece_date,
                    "label": e.label,
                    "source_event_id": e.source_event_id,
                    "source_event_type": e.source_event_type,
                    "trace_id": e.trace_id,
                    "actor": e.actor,
                    "manual": e.manual,
                    "reverses_id": e.reverses_id,
                    "rules_version": e.rules_version,
                    "posted_at": e.posted_at,
                }
                for e in entries
            ],
        )
        await insert_rows(
            self.session,
            journal_lines,
            [
                {
                    "id": line.id,
                    "entry_id": e.id,
                    "line_no": no,
                    "account": line.account,
                    "account_label": line.account_label,
                    "auxiliary_account": line.auxiliary_account,
                    "label": line.label,
                    "debit": line.debit,
                    "credit": line.credit,
                }
                for e in entries
                for no, line in enumerate(e.lines, start=1)
            ],
        )
        matches = [
            {"line_id": line.id, "match_key": key}
            for e in entries
            for line in e.lines
            for key in dict.fromkeys(line.matches)
        ]
        await insert_rows(self.session, line_matches, matches)

    async def _resolve_suspended(self, entries: Sequence[JournalEntry], now: datetime) -> None:
        by_source = {e.source_event_id: e for e in entries if e.source_event_id is not None}
        if not by_source:
            return
        waiting = (
            await self.session.execute(
                sa.select(suspense.c.source_event_id).where(
                    suspense.c.source_event_id.in_(list(by_source)), suspense.c.status == "open"
                )
            )
        ).scalars()
        for source_id in waiting:
            entry = by_source[source_id]
            await self.session.execute(
                sa.update(suspense)
                .where(suspense.c.source_event_id == source_id)
                .values(
                    status="resolved",
                    resolved_at=now,
                    resolved_by="system:accounting-gateway",
                    entry_id=entry.id,
                )
            )

    async def _letter(self, entries: Sequence[JournalEntry], now: datetime) -> None:
        keys = {key for e in entries for line in e.lines for key in line.matches}
        items = await self._open_items(keys)
        groups = settled_groups(items)
        if not groups:
            return
        steps = Counter(f"letter:{g.account}:{g.auxiliary_account or ''}" for g in groups)
        last = await advance(self.session, counters, steps)
        following = {name: last[name] - count for name, count in steps.items()}
        rows: list[dict[str, Any]] = []
        for group in groups:
            series = f"letter:{group.account}:{group.auxiliary_account or ''}"
            code = letter_code(following[series])
            following[series] += 1
            rows.extend(
                {
                    "line_id": line_id,
                    "account": group.account,
                    "auxiliary_account": group.auxiliary_account,
                    "letter": code,
                    "lettered_on": group.lettered_on,
                    "lettered_at": now,
                }
                for line_id in group.line_ids
            )
        await insert_rows(self.session, letters, rows)

    async def _open_items(self, keys: set[str]) -> list[OpenItem]:
        """Unlettered lines linked, directly or through each other, to the given documents."""
        found: dict[UUID, dict[str, Any]] = {}
        asked: set[str] = set()
        while keys - asked:
            batch = list(keys - asked)
            asked |= set(batch)
            related = sa.select(line_matches.c.line_id).where(line_matches.c.match_key.in_(batch))
            rows = await self.session.execute(
                sa.select(
                    journal_lines.c.id,
                    journal_lines.c.account,
                    journal_lines.c.auxiliary_account,
                    journal_lines.c.debit,
                    journal_lines.c.credit,
                    journal_entries.c.entry_date,
                    line_matches.c.match_key,
                )
                .select_from(
                    line_matches.join(journal_lines, journal_lines.c.id == line_matches.c.line_id)
                    .join(journal_entries, journal_entries.c.id == journal_lines.c.entry_id)
                    .outerjoin(letters, letters.c.line_id == journal_lines.c.id)
                )
                .where(line_matches.c.line_id.in_(related), letters.c.line_id.is_(None))
            )
            for row in rows:
                item = found.setdefault(row.id, {"row": row, "keys": set()})
                item["keys"].add(row.match_key)
                keys.add(row.match_key)
        return [
            OpenItem(
                line_id=line_id,
                account=item["row"].account,
                auxiliary_account=item["row"].auxiliary_account,
                debit=item["row"].debit,
                credit=item["row"].credit,
                entry_date=item["row"].entry_date,
                matches=frozenset(item["keys"]),
            )
            for line_id, item in found.items()
        ]

    async def get(self, entry_id: UUID) -> JournalEntry | None:
        found = await self.load(sa.select(journal_entries).where(journal_entries.c.id == entry_id))
        return found[0] if found else None

    async def find_by_source(self, source_event_id: UUID) -> JournalEntry | None:
        found = await self.load(
            sa.select(journal_entries).where(journal_entries.c.source_event_id == source_event_id)
        )
        return found[0] if found else None

    async def reversal_of(self, entry_id: UUID) -> JournalEntry | None:
        found = await self.load(
            sa.select(journal_entries).where(journal_entries.c.reverses_id == entry_id)
        )
        return found[0] if found else None

    async def load(self, query: sa.Select[Any]) -> list[JournalEntry]:
        """Entries of a query on `journal_entries`, with their lines and matches, in its order."""
        heads = (await self.session.execute(query)).mappings().all()
        if not heads:
            return []
        ids = [h["id"] for h in heads]
        lines: dict[UUID, list[Any]] = {}
        rows = await self.session.execute(
            sa.select(journal_lines)
            .where(journal_lines.c.entry_id.in_(ids))
            .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
        )
        for row in rows.mappings():
            lines.setdefault(row["entry_id"], []).append(row)
        line_ids = [row["id"] for found in lines.values() for row in found]
        keys: dict[UUID, list[str]] = {}
        for line_id, key in await self.session.execute(
            sa.select(line_matches.c.line_id, line_matches.c.match_key).where(
                line_matches.c.line_id.in_(line_ids)
            )
        ):
            keys.setdefault(line_id, []).append(key)
        return [entry_from_row(h, lines.get(h["id"], []), keys) for h in heads]
