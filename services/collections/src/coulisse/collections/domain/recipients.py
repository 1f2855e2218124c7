"""Who a notice is sent to: the customer's name, e-mail and postal address, as the customer
service last stated them.

The only personal data collections keeps, learned from `customer.events` and forgotten when the
customer is erased. Events may be read in any order and more than once: each field remembers
when the customer service stated it (the event's time), so an older statement read later
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

RECIPIENT_FIELDS = ("display_name", "email", "address")
"""The customer's fields a notice needs; the others of `customer.events` are not kept."""

HOME_COUNTRY = "FR"


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    postal_code: str
    city: str
    country: str
    """ISO 3166-1 alpha-2."""
    line2: str | None = None

    def lines(self) -> list[str]:
        """As printed on an envelope posted in France: the country only when abroad."""
        found = [self.line1]
        if self.line2:
            found.append(self.line2)
        found.append(f"{self.postal_code} {self.city}")
        if self.country != HOME_COUNTRY:
            found.append(self.country)
        return found


RecipientValue = str | PostalAddress | None


@dataclass
class NoticeRecipient:
    customer_id: UUID
    display_name: str | None = None
    email: str | None = None
    address: PostalAddress | None = None
    stated_at: dict[str, datetime] = field(default_factory=dict)
    """When the customer service stated each field's current value."""

    @property
    def known(self) -> bool:
        """Whether a notice can be addressed: the registration (or a name) was read."""
        return self.display_name is not None

    def learn(self, changes: Mapping[str, RecipientValue], stated_at: datetime) -> bool:
        """Takes the fields of `changes` stated no earlier than what is kept (a registration
        gives them all, an update those it names; None clears one). True when one changed."""
        changed = False
        for name, value in changes.items():
            if name not in RECIPIENT_FIELDS:
                continue
            kept = self.stated_at.get(name)
            if kept is not None and stated_at < kept:
                continue  # an older statement read late
            self.stated_at[name] = stated_at
            changed = True
            if name == "address":
                self.address = value if isinstance(value, PostalAddress) else None
            elif name == "email":
                self.email = value if isinstance(value, str) else None
            else:
                self.display_name = value if isinstance(value, str) else None
        return changed
