"""A customer's profile as the read model shows it, from customer events in any order.

Each field keeps the time of the event that set it, and an event older than that is ignored
for that field: a registration read after an update does not undo it. After an erasure the
personal fields are gone for good and later-read events cannot bring them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

PSEUDONYM = "Erased customer {account_number}"
"""The name an erased customer is shown under: the same words in every service."""

PERSONAL_FIELDS: tuple[str, ...] = ("display_name", "email", "phone", "address")
PROFILE_FIELDS: tuple[str, ...] = (
    "account_number",
    "kind",
    "country",
    "payment_terms_days",
    "vat_number",
    "siren",
    *PERSONAL_FIELDS,
)


def pseudonym(account_number: str | None) -> str:
    return PSEUDONYM.format(account_number=account_number or "(unknown account)")


@dataclass(frozen=True)
class Profile:
    customer_id: UUID
    values: dict[str, Any] = field(default_factory=dict)
    """Field name → value (an address as its JSON object)."""
    set_at: dict[str, datetime] = field(default_factory=dict)
    """Field name → time of the event that set it."""
    registered_at: datetime | None = None
    erased_at: datetime | None = None

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def value(self, name: str) -> Any:
        return self.values.get(name)


def learn(profile: Profile, changes: Mapping[str, Any], at: datetime) -> Profile:
    """`changes` applied where they are newer than what the profile holds."""
    values, set_at = dict(profile.values), dict(profile.set_at)
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            continue  # a field this version does not show
        if profile.erased and (name in PERSONAL_FIELDS or _personal_vat(profile, name)):
            continue
        known = set_at.get(name)
        if known is not None and at < known:
            continue
        values[name] = value
        set_at[name] = at
    return replace(profile, values=values, set_at=set_at)


def registered(profile: Profile, details: Mapping[str, Any], at: datetime) -> Profile:
    learnt = learn(profile, details, at)
    first = at if profile.registered_at is None else min(profile.registered_at, at)
    return replace(learnt, registered_at=first)


def _personal_vat(profile: Profile, name: str) -> bool:
    # A person's VAT number identifies them; a company's is public registry data.
    return name == "vat_number" and profile.values.get("kind") == "person"


def erase(profile: Profile, account_number: str, at: datetime) -> Profile:
    """The profile once the customer was erased: personal fields gone, a pseudonym shown."""
    values = {
        name: value
        for name, value in profile.values.items()
        if name not in PERSONAL_FIELDS and not _personal_vat(profile, name)
    }
    values["account_number"] = account_number
    erased_at = at if profile.erased_at is None else min(profile.erased_at, at)
    return replace(profile, values=values, erased_at=erased_at)


def shown(profile: Profile) -> dict[str, Any]:
    """The profile's fields as they may be shown: the pseudonym and no contact for an erased
    customer."""
    shown = {name: profile.values.get(name) for name in PROFILE_FIELDS}
    if profile.erased:
        for name in PERSONAL_FIELDS:
            shown[name] = None
        if profile.values.get("kind") == "person":
            shown["vat_number"] = None
        shown["display_name"] = pseudonym(profile.values.get("account_number"))
    return shown
