"""Who and what caused the current piece of work: carried into every event it produces."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, replace
from uuid import uuid4


@dataclass(frozen=True)
class CausationContext:
    actor: str
    correlation_id: str | None = None

    def with_correlation(self, correlation_id: str | None) -> CausationContext:
        return replace(self, correlation_id=correlation_id)


_current: ContextVar[CausationContext | None] = ContextVar("coulisse_causation", default=None)


def current_causation(default_actor: str) -> CausationContext:
    ctx = _current.get()
    return ctx if ctx is not None else CausationContext(actor=default_actor)


def set_causation(ctx: CausationContext) -> None:
    _current.set(ctx)


def new_correlation_id() -> str:
    return str(uuid4())
