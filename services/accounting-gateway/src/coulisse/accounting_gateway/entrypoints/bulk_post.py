"""`python -m coulisse.accounting_gateway post-events`: CloudEvents read from standard input,
one JSON envelope a line, posted through the gateway's posting code in large transactions
(`application/bulk_posting.py`). Neither Kafka nor the inbox is involved."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from typing import Annotated, TextIO

import typer

from coulisse.contracts.base import CloudEvent
from coulisse.platform import db
from coulisse.platform.clock import SystemClock
from coulisse.platform.service import Wiring, load_settings

from ..application.bulk_posting import Posted, post_in_transactions
from ..application.reactions import SourceEvent


def read_events(lines: TextIO) -> Iterator[SourceEvent]:
    for line in lines:
        if line.strip():
            yield SourceEvent.of(CloudEvent.model_validate_json(line))


def post_events(
    per_commit: Annotated[int, typer.Option(min=1, help="Events per transaction.")] = 2000,
) -> None:
    """Post CloudEvents read from standard input (one JSON envelope a line) through the rules
    and the books, `--per-commit` events to a transaction; prints what was posted as JSON."""
    from ..bootstrap import definition, unit_of_work

    settings = load_settings(definition)

    def report(posted: Posted) -> None:
        # One line a transaction, on stderr: stdout carries only the final answer.
        print(f"posted {posted.events} events, {posted.entries} entries", file=sys.stderr)

    async def run() -> Posted:
        engine = db.create_engine(settings.effective_database_url)
        try:
            factory = unit_of_work(Wiring(db.session_factory(engine), settings, SystemClock()))
            return await post_in_transactions(
                read_events(sys.stdin), factory, per_commit=per_commit, progress=report
            )
        finally:
            await engine.dispose()

    posted = asyncio.run(run())
    typer.echo(json.dumps(vars(posted)))
