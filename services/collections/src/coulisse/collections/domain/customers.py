"""A customer as collections sees it: what kind of debtor, which policy applies, whether dunning is
suspended by an exclusion or insolvency proceedings, and the doubtful classification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from coulisse.contracts.collections import (
    InsolvencyKind,
    InsolvencyRecorded,
    ReceivableClassifiedDoubtful,
)
from coulisse.contracts.customer import CustomerKind
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .charges import InterestRateTable
from .policy import DunningExclusion, DunningPolicy
from .rates import ContractRate
from .receivables import Receivable

ERASED_TEXT = "erased"
"""What replaces a free text once the customer it concerns was erased."""

INSOLVENCY_KINDS: tuple[InsolvencyKind, ...] = ("safeguard", "receivership", "liquidation")


@dataclass(frozen=True)
class Insolvency:
    """Insolvency proceedings (procédure collective) opened against the customer."""

    kind: InsolvencyKind
    opened_on: date


@dataclass
class CollectionsCustomer(Aggregate):
    customer_id: UUID
    kind: CustomerKind | None = None
    """Unknown until the customer's registration is read: charges wait for it."""
    account_number: str | None = None
    policy: DunningPolicy | None = None
    """The customer's own policy; None: the service's default."""
    exclusion: DunningExclusion | None = None
    insolvency: Insolvency | None = None
    payment_terms_days: int | None = None
    contract_rate: ContractRate | None = None
    """The late-payment rate of the customer's contract; None: the legal default."""
    erased: bool = False

    def registered(
        self, *, kind: CustomerKind, account_number: str, payment_terms_days: int | None = None
    ) -> None:
        self.kind = kind
        self.account_number = account_number
        if payment_terms_days is not None:
            self.payment_terms_days = payment_terms_days

    def account_known(self, account_number: str) -> None:
        """An invoice names the customer's account, maybe before their registration is read."""
        if self.account_number is None:
            self.account_number = account_number

    def erase(self, *, account_number: str) -> None:
        """The right to be forgotten: the account and the amounts stay (the books need them);
        an exclusion's reason, free text that may name a person, does not."""
        self.erased = True
        self.account_number = account_number
        if self.exclusion is not None:
            self.exclusion = DunningExclusion(reason=ERASED_TEXT, until=self.exclusion.until)

    def arrange_dunning(
        self, *, policy: DunningPolicy | None, exclusion: DunningExclusion | None
    ) -> None:
        """The customer's own policy (None: the default) and exclusion (None: none), as a whole."""
        self.policy = policy
        self.exclusion = exclusion

    def agree_contract_rate(self, rate: ContractRate | None) -> None:
        """The contract's late-payment rate from now on (None: back to the legal default)."""
        if rate is not None and self.kind == "person":
            raise Conflict(
                "a consumer owes no late-payment penalty rate: contract rates are for companies",
                field="rate",
            )
        self.contract_rate = rate

    def penalty_rates(self, default: InterestRateTable) -> InterestRateTable:
        """The rates late interest runs at for this customer."""
        return default if self.contract_rate is None else self.contract_rate.over(default)

    def policy_or(self, default: DunningPolicy) -> DunningPolicy:
        return self.policy or default

    def excluded_on(self, day: date) -> bool:
        return self.exclusion is not None and self.exclusion.applies_on(day)

    def insolvent_on(self, day: date) -> bool:
        return self.insolvency is not None and self.insolvency.opened_on <= day

    def record_insolvency(
        self, *, kind: InsolvencyKind, opened_on: date, receivables: Iterable[Receivable]
    ) -> ReceivableClassifiedDoubtful | None:
        """Proceedings stop dunning and charges from `opened_on`, and the overdue receivables
        become doubtful (the classification, if any, is returned)."""
        if kind not in INSOLVENCY_KINDS:
            raise InvalidInput(
                f"unknown insolvency proceedings {kind!r}; known: {', '.join(INSOLVENCY_KINDS)}",
                field="kind",
            )
        if self.insolvency is not None:
            raise Conflict(
                f"{self.insolvency.kind} proceedings were already recorded for this customer "
                f"on {self.insolvency.opened_on}",
                field="kind",
            )
        self.insolvency = Insolvency(kind=kind, opened_on=opened_on)
        self.record(
            InsolvencyRecorded(customer_id=self.customer_id, kind=kind, opened_on=opened_on)
        )
        return self.classify_doubtful(receivables, on=opened_on, required=False)

    def classify_doubtful(
        self, receivables: Iterable[Receivable], *, on: date, required: bool = True
    ) -> ReceivableClassifiedDoubtful | None:
        """The customer's overdue receivables not yet doubtful become doubtful on `on`, for their
        amount still due (VAT included, as the receivable is booked). With nothing to classify:
        a Conflict when asked for, nothing when part of recording insolvency."""
        if self.account_number is None:
            raise Conflict(
                "the customer's account is not known yet: nothing can be classified",
                field="customer_id",
            )
        chosen = sorted(
            (
                r
                for r in receivables
                if r.customer_id == self.customer_id and r.overdue_on(on) and r.doubtful_on is None
            ),
            key=lambda r: (r.due_date or date.min, r.invoice_number or ""),
        )
        if not chosen:
            if required:
                raise Conflict(
                    f"the customer has no overdue receivable left to classify on {on}",
                    field="customer_id",
                )
            return None
        for receivable in chosen:
            receivable.classified_doubtful(on)
        event = ReceivableClassifiedDoubtful(
            customer_id=self.customer_id,
            account_number=self.account_number,
            invoice_ids=[r.invoice_id for r in chosen],
            amount_gross=sum((r.amount_due for r in chosen), ZERO),
            classified_on=on,
        )
        self.record(event)
        return event
