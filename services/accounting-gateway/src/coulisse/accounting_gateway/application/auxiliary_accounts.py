"""Customer events keep the labels of the auxiliary accounts (FEC `CompAuxLib`)."""

from __future__ import annotations

from coulisse.contracts.customer import CustomerErased, CustomerRegistered, CustomerUpdated
from coulisse.platform.envelope import IncomingEvent

from ..adapters.uow import GatewayUnitOfWork
from .posting import SourceEvent, post_event


async def keep_auxiliary_label(event: IncomingEvent, uow: GatewayUnitOfWork) -> None:
    payload = event.payload
    now = uow.clock.now()
    if isinstance(payload, CustomerRegistered):
        await uow.auxiliaries.register(
            account_number=payload.account_number,
            customer_id=payload.customer_id,
            label=payload.display_name,
            now=now,
        )
    elif isinstance(payload, CustomerUpdated):
        label = payload.changes().get("display_name")
        if label:
            await uow.auxiliaries.rename(customer_id=payload.customer_id, label=label, now=now)
    elif isinstance(payload, CustomerErased):
        # Erasure removes personal data elsewhere; the books keep the name the law requires.
        await uow.auxiliaries.mark_erased(customer_id=payload.customer_id, now=now)
    # The rules still have their say (they map these types to "no posting" by default).
    await post_event(SourceEvent.of(event.envelope), uow)
