"""The dunning policy: the ordered levels an overdue invoice goes through, and the exclusions that
keep a customer out of dunning for a while."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from coulisse.contracts.collections import DunningChannel, FeeKind
from coulisse.platform.domain import InvalidInput

CHANNELS: tuple[DunningChannel, ...] = ("email", "letter", "call", "formal_notice")
FEE_KINDS: tuple[FeeKind, ...] = ("recovery_indemnity", "late_interest")

MAX_LEVELS = 4
"""The notice event numbers levels 1 to 4."""

MAX_DAYS = 1826
"""Five years: commercial claims lapse after that, so no level can be further from the due date."""

MAX_TEXT = 200


@dataclass(frozen=True)
class DunningLevel:
    """One step of the escalation, reached `days` after the invoice's due date (before it when
    negative), and no sooner than `min_days_since_previous` after the previous level."""

    days: int
    channel: DunningChannel
    name: str
    min_days_since_previous: int = 0
    assesses: frozenset[FeeKind] = frozenset()
    """The charges assessed on each invoice reaching this level."""

    def reached_from(self, due_date: date) -> date:
        """The first day this level may be reached for an invoice due on `due_date`."""
        return due_date + timedelta(days=self.days)


@dataclass(frozen=True)
class DunningPolicy:
    """Levels numbered from 1, in strictly increasing order of days."""

    levels: tuple[DunningLevel, ...]

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidInput("a dunning policy needs at least one level", field="levels")
        if len(self.levels) > MAX_LEVELS:
            raise InvalidInput(
                f"a dunning policy has at most {MAX_LEVELS} levels, not {len(self.levels)}",
                field="levels",
            )
        previous: DunningLevel | None = None
        for index, level in enumerate(self.levels):
            _check_level(level, index, previous)
            previous = level

    def level(self, number: int) -> DunningLevel:
        """Level `number`, counted from 1."""
        if not 1 <= number <= len(self.levels):
            raise InvalidInput(
                f"this policy has levels 1 to {len(self.levels)}, not {number}", field="level"
            )
        return self.levels[number - 1]

    def after(self, reached: int) -> DunningLevel | None:
        """The level that follows level `reached` (0: none reached yet), or None after the last."""
        return self.levels[reached] if 0 <= reached < len(self.levels) else None

    @classmethod
    def of(cls, levels: Iterable[DunningLevel]) -> DunningPolicy:
        return cls(tuple(levels))


def _check_level(level: DunningLevel, index: int, previous: DunningLevel | None) -> None:
    path = f"levels.{index}"
    number = index + 1
    if not isinstance(level.name, str) or not level.name.strip():
        raise InvalidInput(f"level {number} needs a name", field=f"{path}.name")
    if len(level.name) > MAX_TEXT:
        raise InvalidInput(
            f"the name of level {number} is longer than {MAX_TEXT} characters", field=f"{path}.name"
        )
    if not _is_int(level.days) or abs(level.days) > MAX_DAYS:
        raise InvalidInput(
            f"level {number}: days must be a whole number between -{MAX_DAYS} and {MAX_DAYS}",
            field=f"{path}.days",
        )
    if previous is not None and level.days <= previous.days:
        raise InvalidInput(
            f"levels must be in strictly increasing order of days: level {number} "
            f"({level.days} days) does not come after level {number - 1} ({previous.days} days)",
            field=f"{path}.days",
        )
    if level.channel not in CHANNELS:
        raise InvalidInput(
            f"level {number}: unknown channel {level.channel!r}; known: {', '.join(CHANNELS)}",
            field=f"{path}.channel",
        )
    if (
        not _is_int(level.min_days_since_previous)
        or not 0 <= level.min_days_since_previous <= MAX_DAYS
    ):
        raise InvalidInput(
            f"level {number}: min_days_since_previous must be a whole number from 0 to {MAX_DAYS}",
            field=f"{path}.min_days_since_previous",
        )
    unknown = sorted(str(kind) for kind in level.assesses if kind not in FEE_KINDS)
    if unknown:
        raise InvalidInput(
            f"level {number}: unknown charge {unknown[0]!r}; known: {', '.join(FEE_KINDS)}",
            field=f"{path}.assesses",
        )
    # Both charges compensate a late payment: a level on or before the due date has none to assess.
    if level.assesses and level.days <= 0:
        raise InvalidInput(
            f"level {number} comes {'on' if level.days == 0 else 'before'} the due date: "
            "it cannot assess late-payment charges",
            field=f"{path}.assesses",
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


DEFAULT_POLICY = DunningPolicy(
    (
        DunningLevel(days=-3, channel="email", name="Friendly reminder"),
        DunningLevel(days=7, channel="email", name="Reminder", min_days_since_previous=5),
        DunningLevel(days=15, channel="call", name="Call", min_days_since_previous=5),
        DunningLevel(
            days=30,
            channel="formal_notice",
            name="Formal notice",
            min_days_since_previous=7,
            assesses=frozenset({"recovery_indemnity", "late_interest"}),
        ),
    )
)
"""Shipped with the service: a reminder three days before the due date, another a week after it,
a call after two weeks, a formal notice with the €40 indemnity and late interest after a month."""


@dataclass(frozen=True)
class DunningExclusion:
    """A customer kept out of dunning, up to and including `until` (indefinitely when None)."""

    reason: str
    until: date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("an exclusion from dunning needs a reason", field="reason")
        if len(self.reason) > MAX_TEXT:
            raise InvalidInput(f"the reason is longer than {MAX_TEXT} characters", field="reason")

    @classmethod
    def granted(cls, *, reason: str, until: date | None, on: date) -> DunningExclusion:
        """An exclusion decided on `on`: one that would already be over is refused."""
        if until is not None and until < on:
            raise InvalidInput(
                f"an exclusion until {until} would already be over on {on}", field="until"
            )
        return cls(reason=reason.strip(), until=until)

    def applies_on(self, day: date) -> bool:
        return self.until is None or day <= self.until
