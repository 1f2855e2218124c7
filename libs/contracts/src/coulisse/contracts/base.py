"""Base classes of every event payload and the CloudEvents envelope."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .topics import TOPICS

TYPE_PATTERN = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*\.v[1-9][0-9]*$")
_ENVELOPE_NAMES = frozenset({"subject", "partition_key"})


class ContractModel(BaseModel):
    """A value carried inside an event.

    Immutable, and lenient on reading: unknown fields are ignored so that a producer may add
    optional fields without breaking consumers that do not know them yet. A field whose Python
    name differs from its wire name declares the wire name as its alias, used both to build
    and to write the model, so that code and wire agree.
    """

    model_config = ConfigDict(extra="ignore", frozen=True, serialize_by_alias=True)


class EventPayload(ContractModel):
    """The `data` of one event type and version.

    Subclasses set `TYPE` (`<service>.<aggregate>.<fact>.v<N>`), `TOPIC`, and `SUBJECT_FIELD`
    (the field holding the aggregate id). The partition key (also the Kafka record key) is the
    customer id, except where `PARTITION_KEY_FIELD` says otherwise (journal code). These are
    checked when the class is defined, so a wrong declaration fails at import, not in production.
    """

    TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    SUBJECT_FIELD: ClassVar[str]
    PARTITION_KEY_FIELD: ClassVar[str] = "customer_id"
    # What the documents say the record key is, when it is more than one field of `data`.
    PARTITION_KEY_DESCRIPTION: ClassVar[str | None] = None

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _check_declaration(cls)

    @property
    def subject(self) -> str:
        """The CloudEvents `subject`: the id of the aggregate the fact is about."""
        return str(getattr(self, self.SUBJECT_FIELD))

    @property
    def partition_key(self) -> str:
        """The CloudEvents `partitionkey`, also the Kafka record key."""
        return str(getattr(self, self.PARTITION_KEY_FIELD))


def _check_declaration(cls: type[EventPayload]) -> None:
    name = cls.__qualname__
    missing = [attr for attr in ("TYPE", "TOPIC", "SUBJECT_FIELD") if not hasattr(cls, attr)]
    if missing:
        raise TypeError(f"{name} must set {', '.join(missing)}")
    if not TYPE_PATTERN.match(cls.TYPE):
        raise TypeError(f"{name}.TYPE {cls.TYPE!r} is not <service>.<aggregate>.<fact>.v<N>")
    if cls.TOPIC not in {topic.name for topic in TOPICS}:
        raise TypeError(f"{name}.TOPIC {cls.TOPIC!r} is not a declared topic")
    if cls.TOPIC.split(".")[0] != cls.TYPE.split(".")[0]:
        raise TypeError(f"{name}: {cls.TYPE!r} does not belong on topic {cls.TOPIC!r}")
    for attr in ("SUBJECT_FIELD", "PARTITION_KEY_FIELD"):
        field = cls.model_fields.get(getattr(cls, attr))
        if field is None or not field.is_required():
            raise TypeError(f"{name}.{attr} must name a required field")
    clashes = _ENVELOPE_NAMES & set(cls.model_fields)
    if clashes:
        raise TypeError(
            f"{name}: field {sorted(clashes)[0]!r} would hide the envelope property;"
            " give it another Python name and the wire name as alias"
        )


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
