"""The dunning policy: ordered levels, checked field by field; exclusions from dunning."""

from __future__ import annotations

from datetime import date

import pytest

from coulisse.collections.domain.policy import (
    DEFAULT_POLICY,
    DunningExclusion,
    DunningLevel,
    DunningPolicy,
)
from coulisse.platform.domain import InvalidInput


def level(
    days: int,
    *,
    channel: str = "email",
    min_days_since_previous: int = 0,
    assesses: frozenset[str] = frozenset(),
) -> DunningLevel:
    return DunningLevel(
        days=days,
        channel=channel,  # type: ignore[arg-type]  # wrong channels are part of the cases
        name="Step",
        min_days_since_previous=min_days_since_previous,
        assesses=assesses,  # type: ignore[arg-type]
    )


def test_the_default_policy_escalates_from_a_reminder_to_a_formal_notice() -> None:
    assert [(lv.days, lv.channel) for lv in DEFAULT_POLICY.levels] == [
        (-3, "email"),
        (7, "email"),
        (15, "call"),
        (30, "formal_notice"),
    ]
    assert DEFAULT_POLICY.levels[-1].assesses == {"recovery_indemnity", "late_interest"}
    assert all(not lv.assesses for lv in DEFAULT_POLICY.levels[:-1])


def test_levels_are_numbered_from_one() -> None:
    assert DEFAULT_POLICY.level(1).days == -3
    assert DEFAULT_POLICY.after(0) is DEFAULT_POLICY.level(1)
    assert DEFAULT_POLICY.after(3) is DEFAULT_POLICY.level(4)
    assert DEFAULT_POLICY.after(4) is None
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.level(5)
    assert refused.value.field == "level"


def test_a_level_is_reached_relative_to_the_due_date() -> None:
    assert level(-3).reached_from(date(2026, 3, 10)) == date(2026, 3, 7)
    assert level(30).reached_from(date(2026, 3, 10)) == date(2026, 4, 9)


@pytest.mark.parametrize(
    ("levels", "field", "words"),
    [
        ([], "levels", "at least one level"),
        ([level(d) for d in (1, 2, 3, 4, 5)], "levels", "at most 4 levels"),
        ([level(-3), level(7), level(7)], "levels.2.days", "strictly increasing"),
        ([level(10), level(5)], "levels.1.days", "does not come after level 1"),
        ([level(-3), level(7, channel="sms")], "levels.1.channel", "unknown channel 'sms'"),
        ([level(1, min_days_since_previous=-1)], "levels.0.min_days_since_previous", "from 0"),
        ([level(True)], "levels.0.days", "whole number"),
        ([level(5000)], "levels.0.days", "whole number between"),
        ([level(1), level(2, assesses=frozenset({"vat"}))], "levels.1.assesses", "'vat'"),
        (
            [level(-3, assesses=frozenset({"late_interest"}))],
            "levels.0.assesses",
            "before the due date",
        ),
        ([level(0, assesses=frozenset({"recovery_indemnity"}))], "levels.0.assesses", "on the due"),
        ([DunningLevel(days=1, channel="email", name="  ")], "levels.0.name", "needs a name"),
    ],
)
def test_a_wrong_policy_names_the_offending_field(
    levels: list[DunningLevel], field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        DunningPolicy.of(levels)
    assert refused.value.field == field
    assert words in refused.value.detail


def test_a_policy_may_remind_before_the_due_date_and_assess_on_any_late_level() -> None:
    policy = DunningPolicy.of(
        [
            level(-10),
            level(0, channel="letter"),
            level(20, channel="call", assesses=frozenset({"late_interest"})),
            level(45, channel="formal_notice", min_days_since_previous=10),
        ]
    )
    assert len(policy.levels) == 4


def test_an_exclusion_lasts_up_to_and_including_its_date() -> None:
    exclusion = DunningExclusion(reason="Key account under renegotiation", until=date(2026, 3, 31))
    assert exclusion.applies_on(date(2026, 3, 31))
    assert not exclusion.applies_on(date(2026, 4, 1))
    assert DunningExclusion(reason="Public body").applies_on(date(2099, 1, 1))


def test_an_exclusion_needs_a_reason_and_a_date_not_already_past() -> None:
    with pytest.raises(InvalidInput) as refused:
        DunningExclusion(reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput) as refused:
        DunningExclusion.granted(reason="x", until=date(2026, 1, 1), on=date(2026, 1, 2))
    assert refused.value.field == "until"
    granted = DunningExclusion.granted(reason=" x ", until=date(2026, 1, 2), on=date(2026, 1, 2))
    assert granted.reason == "x"
