"""Bodies of dunning runs and of the notices and fees they produce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field, StrictBool

from coulisse.contracts.collections import DunningChannel, FeeKind
from coulisse.contracts.money import DecimalString, Money
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel

from ...application.queries import NoticeView
from ...domain.charges import LateInterest
from ...domain.delivery import NoticeDelivery, NoticeDeliveryStatus, read_status
from ...domain.engine import Charge, DunningRun, Held, HoldReason, Notice


class RunCreate(RequestModel):
    as_of: IsoDate = Field(description="The run's date: not after today, unless a dry run.")
    dry_run: StrictBool = Field(False, description="Preview any date; nothing changes.")


class NoticeLineRead(ResponseModel):
    invoice_id: UUID
    invoice_number: str
    due_date: date
    amount_due: Money
    days_late: int


class NoticeRead(ResponseModel):
    id: UUID
    notice_id: UUID
    run_id: UUID | None = Field(description="None in a dry run's preview.")
    customer_id: UUID
    level: int
    level_name: str
    channel: DunningChannel
    sent_on: date
    amount_due: Money
    invoice_ids: list[UUID]
    lines: list[NoticeLineRead]
    delivery_status: NoticeDeliveryStatus | None = Field(
        None,
        description=(
            "`pending` until the notice sender handles it; `sent` (an e-mail), `ready_to_post` "
            "(a PDF letter or formal notice), `undeliverable` (see `delivery_detail`), "
            "`not_applicable` for a call. None in a dry run's preview. The answer to "
            "`POST /v1/dunning/runs` (a repeated date's too) shows the notices as the run left "
            "them: read the notice or the run for what was delivered since."
        ),
    )
    delivered_at: datetime | None = Field(
        None, description="When the e-mail was accepted by the SMTP server, or the PDF made."
    )
    message_id: str | None = Field(None, description="The e-mail's Message-ID, once sent.")
    delivery_detail: str | None = Field(
        None, description="Why it waits, why the last attempt failed, or why it is undeliverable."
    )

    @classmethod
    def of(
        cls, notice: Notice, run_id: UUID | None, delivery: DeliveryState | None = None
    ) -> NoticeRead:
        return cls(
            id=notice.notice_id,
            notice_id=notice.notice_id,
            run_id=run_id,
            customer_id=notice.customer_id,
            level=notice.level,
            level_name=notice.level_name,
            channel=notice.channel,
            sent_on=notice.sent_on,
            amount_due=notice.amount_due,
            invoice_ids=notice.invoice_ids,
            lines=[
                NoticeLineRead(
                    invoice_id=line.invoice_id,
                    invoice_number=line.invoice_number,
                    due_date=line.due_date,
                    amount_due=line.amount_due,
                    days_late=line.days_late,
                )
                for line in notice.lines
            ],
            **delivery_fields(notice, delivery),
        )

    @classmethod
    def of_view(cls, view: NoticeView) -> NoticeRead:
        return cls.of(view.notice, view.run_id, DeliveryState(view.delivery))


@dataclass(frozen=True)
class DeliveryState:
    """What the notice sender made of a notice, as read (None: nothing yet)."""

    delivery: NoticeDelivery | None


def delivery_fields(notice: Notice, state: DeliveryState | None) -> dict[str, Any]:
    if state is None:
        return {}  # not read here: a preview, or a repeated run's answer
    delivery = state.delivery
    return {
        "delivery_status": read_status(notice.channel, delivery),
        "delivered_at": None if delivery is None else delivery.delivered_at,
        "message_id": None if delivery is None else delivery.message_id,
        "delivery_detail": None if delivery is None else delivery.detail,
    }


class InterestPeriodRead(ResponseModel):
    first_day: date
    last_day: date
    days: int
    rate: DecimalString = Field(description="Annual, in percent.")
    source: str


class InterestRead(ResponseModel):
    base: Money = Field(description="What remained due, on which the interest runs.")
    days: int
    periods: list[InterestPeriodRead]

    @classmethod
    def of(cls, interest: LateInterest | None) -> InterestRead | None:
        if interest is None:
            return None
        return cls(
            base=interest.base,
            days=interest.days,
            periods=[
                InterestPeriodRead(
                    first_day=p.days.first,
                    last_day=p.days.last,
                    days=p.days.days,
                    rate=p.rate.rate,
                    source=p.rate.source,
                )
                for p in interest.periods
            ],
        )


class FeeRead(ResponseModel):
    id: UUID
    fee_id: UUID
    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    kind: FeeKind
    amount: Money
    assessed_on: date
    interest: InterestRead | None = Field(description="How late interest was counted.")

    @classmethod
    def of(cls, charge: Charge) -> FeeRead:
        return cls(
            id=charge.fee_id,
            fee_id=charge.fee_id,
            customer_id=charge.customer_id,
            invoice_id=charge.invoice_id,
            invoice_number=charge.invoice_number,
            kind=charge.kind,
            amount=charge.amount,
            assessed_on=charge.assessed_on,
            interest=InterestRead.of(charge.interest),
        )


class HeldRead(ResponseModel):
    customer_id: UUID
    invoice_id: UUID
    invoice_number: str
    level: int = Field(description="The level it would have reached.")
    reason: HoldReason

    @classmethod
    def of(cls, held: Held) -> HeldRead:
        return cls(
            customer_id=held.customer_id,
            invoice_id=held.invoice_id,
            invoice_number=held.invoice_number,
            level=held.level,
            reason=held.reason,
        )


class RunRead(ResponseModel):
    id: UUID | None = Field(description="None for a dry run: nothing was recorded.")
    as_of: date
    dry_run: bool
    repeated: bool = Field(
        description="The date had already been run: this is that run, nothing new was done."
    )
    notices: list[NoticeRead]
    fees: list[FeeRead]
    held: list[HeldRead] = Field(description="Invoices whose next level waits, and why.")

    @classmethod
    def of(
        cls, run: DunningRun, deliveries: Mapping[UUID, NoticeDelivery] | None = None
    ) -> RunRead:
        """`deliveries`: those read with the run; without them, the notices are shown as the
        run left them (pending), as in the answer to the run itself."""
        run_id = None if run.dry_run else run.run_id

        def state(notice: Notice) -> DeliveryState | None:
            if run.dry_run:
                return None
            if deliveries is None:  # the run's own answer: as the run left its notices
                return DeliveryState(None)
            return DeliveryState(deliveries.get(notice.notice_id))

        return cls(
            id=run_id,
            as_of=run.as_of,
            dry_run=run.dry_run,
            repeated=run.repeated,
            notices=[NoticeRead.of(n, run_id, state(n)) for n in run.notices],
            fees=[FeeRead.of(c) for c in run.charges],
            held=[HeldRead.of(h) for h in run.held],
        )
