"""Bodies of the dunning policies: the service's default and a customer's own, exclusions."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from coulisse.contracts.collections import DunningChannel, FeeKind, InsolvencyKind
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel, WholeNumber

from ...application.commands import ExclusionInput, LevelInput
from ...domain.customers import CollectionsCustomer, Insolvency
from ...domain.policy import DunningExclusion, DunningPolicy


class LevelIn(RequestModel):
    days: WholeNumber = Field(description="Days after the due date (negative: before it).")
    channel: DunningChannel
    name: str
    min_days_since_previous: WholeNumber = 0
    assesses: list[FeeKind] = Field(default_factory=list)

    def to_input(self) -> LevelInput:
        return LevelInput(
            days=self.days,
            channel=self.channel,
            name=self.name,
            min_days_since_previous=self.min_days_since_previous,
            assesses=tuple(self.assesses),
        )


class PolicyIn(RequestModel):
    levels: list[LevelIn] = Field(description="One to four levels, in increasing order of days.")

    def to_input(self) -> tuple[LevelInput, ...]:
        return tuple(level.to_input() for level in self.levels)


class LevelRead(ResponseModel):
    level: int = Field(description="Its number, from 1: the `level` of the notices it sends.")
    days: int
    channel: DunningChannel
    name: str
    min_days_since_previous: int
    assesses: list[FeeKind]


class PolicyRead(ResponseModel):
    levels: list[LevelRead]
    shipped: bool = Field(description="Whether this is the policy shipped with the service.")

    @classmethod
    def of(cls, policy: DunningPolicy, *, shipped: bool = False) -> PolicyRead:
        return cls(
            levels=[
                LevelRead(
                    level=number,
                    days=level.days,
                    channel=level.channel,
                    name=level.name,
                    min_days_since_previous=level.min_days_since_previous,
                    assesses=sorted(level.assesses),
                )
                for number, level in enumerate(policy.levels, start=1)
            ],
            shipped=shipped,
        )


class ExclusionIn(RequestModel):
    reason: str
    until: IsoDate | None = Field(None, description="Included; none: until lifted.")

    def to_input(self) -> ExclusionInput:
        return ExclusionInput(reason=self.reason, until=self.until)


class CustomerDunningIn(RequestModel):
    """Replaces the customer's arrangement as a whole: a field left out or null removes it."""

    policy: PolicyIn | None = Field(
        None, description="The customer's own policy; none: the default."
    )
    exclusion: ExclusionIn | None = Field(None, description="Keeps the customer out of dunning.")


class ExclusionRead(ResponseModel):
    reason: str
    until: date | None

    @classmethod
    def of(cls, exclusion: DunningExclusion | None) -> ExclusionRead | None:
        return None if exclusion is None else cls(reason=exclusion.reason, until=exclusion.until)


class InsolvencyRead(ResponseModel):
    kind: InsolvencyKind
    opened_on: date

    @classmethod
    def of(cls, insolvency: Insolvency | None) -> InsolvencyRead | None:
        if insolvency is None:
            return None
        return cls(kind=insolvency.kind, opened_on=insolvency.opened_on)


class CustomerDunningRead(ResponseModel):
    customer_id: UUID
    policy: PolicyRead | None = Field(description="The customer's own policy; none: the default.")
    exclusion: ExclusionRead | None
    insolvency: InsolvencyRead | None

    @classmethod
    def of(cls, customer: CollectionsCustomer) -> CustomerDunningRead:
        return cls(
            customer_id=customer.customer_id,
            policy=None if customer.policy is None else PolicyRead.of(customer.policy),
            exclusion=ExclusionRead.of(customer.exclusion),
            insolvency=InsolvencyRead.of(customer.insolvency),
        )
