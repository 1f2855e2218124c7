"""The route that hands a customer's data key to the services that consume customer events.

Events carry the personal fields sealed with this key (`customer.customer.registered.v2`,
`updated.v2`); the consumers ask for it here with a service token (scope `customers:keys`) and
keep it at most 60 s. After the erasure the answer is 410 Gone, for good.
"""

from __future__ import annotations

import logging
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import Field

from coulisse.platform.api import ResponseModel
from coulisse.platform.crypto import b64encode
from coulisse.platform.openapi import problems

from ..application import queries
from .deps import KeysScope, UowFactoryDep

log = logging.getLogger("coulisse.customer.keys")

router = APIRouter(prefix="/v1/customers", tags=["customers"])


class PersonalDataKeyRead(ResponseModel):
    customer_id: UUID
    key_id: UUID = Field(description="The `key_id` of the events' `personal` it opens.")
    algorithm: Literal["AES-256-GCM"]
    key: str = Field(description="The 32-byte key, base64. Keep it in memory, at most 60 s.")


@router.get(
    "/{customer_id}/personal-data-key",
    response_model=PersonalDataKeyRead,
    summary="The customer's data key, which opens their events' personal fields (services only)",
    responses=problems(
        (404, "no such customer, or no event of theirs is sealed"),
        (410, "the customer was erased: their key was destroyed, their personal data is gone"),
    ),
)
async def personal_data_key(
    customer_id: UUID, caller: KeysScope, uow_factory: UowFactoryDep, response: Response
) -> PersonalDataKeyRead:
    async with uow_factory() as uow:
        key = await queries.personal_data_key(uow, customer_id)
    # Who read which customer's key: the customer id and the service, never the key.
    log.info("personal-data key of customer %s handed to %s", customer_id, caller.sub)
    response.headers["Cache-Control"] = "no-store"
    return PersonalDataKeyRead(
        customer_id=customer_id,
        key_id=key.key_id,
        algorithm="AES-256-GCM",
        key=b64encode(key.secret),
    )
