"""Base classes of every event payload and the CloudEvents envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """The `data` of one event type and version.

    Subclasses set `TYPE` (`<service>.<aggregate>.<fact>.v<N>`), `TOPIC`, and `SUBJECT_FIELD`
    (the field holding the aggregate id). The partition key (also the Kafka record key) is the
    customer id, except where `PARTITION_KEY_FIELD` says otherwise (journal code). Unknown fields are ignored when reading, so producers may add optional fields.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    SUBJECT_FIELD: ClassVar[str]
    PARTITION_KEY_FIELD: ClassVar[str] = "customer_id"

    @property
    def subject(self) -> str:
        return str(getattr(self, self.SUBJECT_FIELD))

    @property
    def partition_key(self) -> str:
        return str(getattr(self, self.PARTITION_KEY_FIELD))


class CloudEvent(BaseModel):
    """CloudEvents 1.0 structured-mode envelope, as written to the Kafka record value."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    specversion: str = "1.0"
    id: UUID
    source: str
    type: str
    subject: str
    time: datetime
    datacontenttype: str = "application/json"
    partitionkey: str
    traceparent: str | None = None
    actor: str
    correlationid: str
    data: dict[str, Any] = Field(default_factory=dict)

    CONTENT_TYPE: ClassVar[str] = "application/cloudevents+json"
