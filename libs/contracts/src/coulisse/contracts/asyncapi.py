"""The AsyncAPI 3.0 document of our topics, generated from the models.

It is what a team without our Python code (a call-center tool, a data pipeline) reads to
consume the events: channels are topics, messages are CloudEvents whose `data` is the event
schema, and each topic has one `send` operation, by the service that owns it.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .base import CloudEvent, EventPayload
from .registry import EVENT_TYPES, events_on
from .topics import TOPICS, Topic

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMAS = "#/components/schemas/"
HEADERS_SCHEMA = "RecordHeaders"
DEAD_LETTER_CHANNEL = "deadLetters"

Document = dict[str, Any]


def channel_id(topic: Topic) -> str:
    """`billing.events` becomes `billingEvents`: a plain identifier for code generators."""
    first, *rest = topic.name.replace("-", ".").split(".")
    return first + "".join(part.capitalize() for part in rest)


def asyncapi_document() -> Document:
    models: list[type[BaseModel]] = [CloudEvent, *EVENT_TYPES.values()]
    refs, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMAS + "{model}"
    )
    schemas: Document = dict(sorted(definitions.get("$defs", {}).items()))
    schemas[HEADERS_SCHEMA] = _headers_schema()
    envelope_ref = refs[(CloudEvent, "serialization")]["$ref"]
    messages = {
        event_type: _message(model, envelope_ref, refs[(model, "serialization")]["$ref"])
        for event_type, model in EVENT_TYPES.items()
    }
    messages["deadLetter"] = _dead_letter_message()
    channels = {channel_id(topic): _channel(topic) for topic in TOPICS}
    channels[DEAD_LETTER_CHANNEL] = _dead_letter_channel()
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Coulisse events",
            "version": version("coulisse-contracts"),
            "description": inspect.cleandoc(_INFO),
        },
        "defaultContentType": CloudEvent.CONTENT_TYPE,
        "channels": channels,
        "operations": {f"send{_capitalised(channel_id(t))}": _operation(t) for t in TOPICS},
        "components": {"schemas": schemas, "messages": messages},
    }


_INFO = """
    Every event is a CloudEvents 1.0 JSON document in the Kafka record value (structured
    mode). The record key is the envelope's `partitionkey`: the customer id, or on
    `accounting.events` the journal code. Money is a string with exactly two decimals
    (`"120.00"`), never a number. Dates are `YYYY-MM-DD`; instants are RFC 3339 UTC.
    There is no order between topics: a consumer must accept, for instance, a payment for a
    customer whose registration it has not seen yet.
"""


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


def _channel(topic: Topic) -> Document:
    return {
        "address": topic.name,
        "description": f"Written by the {topic.producer} service only. Record key: {topic.key_description}.",
        "messages": {
            model.TYPE: {"$ref": f"#/components/messages/{model.TYPE}"}
            for model in events_on(topic.name)
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": topic.partitions,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operation(topic: Topic) -> Document:
    channel = channel_id(topic)
    return {
        "action": "send",
        "title": f"The {topic.producer} service publishes its facts",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [
            {"$ref": f"#/channels/{channel}/messages/{model.TYPE}"}
            for model in events_on(topic.name)
        ],
    }


def _message(model: type[EventPayload], envelope_ref: str, data_ref: str) -> Document:
    summary, _, details = inspect.cleandoc(model.__doc__ or model.TYPE).partition("\n")
    message: Document = {"name": model.TYPE, "title": model.__name__, "summary": summary}
    if details.strip():
        message["description"] = details.strip()
    message |= {
        "contentType": CloudEvent.CONTENT_TYPE,
        "headers": {"$ref": SCHEMAS + HEADERS_SCHEMA},
        "payload": {
            "allOf": [
                {"$ref": envelope_ref},
                {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "type": {"const": model.TYPE},
                        "subject": {"description": f"The `{model.SUBJECT_FIELD}` of `data`."},
                        "partitionkey": {"description": _key_description(model)},
                        "data": {"$ref": data_ref},
                    },
                },
            ]
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": _key_description(model)},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
    return message


def _key_description(model: type[EventPayload]) -> str:
    return model.PARTITION_KEY_DESCRIPTION or f"The `{model.PARTITION_KEY_FIELD}` of `data`."


def _headers_schema() -> Document:
    return {
        "type": "object",
        "description": "Kafka record headers.",
        "required": ["content-type", "ce_type", "ce_id"],
        "properties": {
            "content-type": {"type": "string", "const": CloudEvent.CONTENT_TYPE},
            "ce_type": {
                "type": "string",
                "description": "The event's `type`, so a consumer can route or skip a record "
                "without parsing its value.",
            },
            "ce_id": {
                "type": "string",
                "format": "uuid",
                "description": "The event's `id`, as in the value.",
            },
            "traceparent": {
                "type": "string",
                "description": "W3C trace context of the request that caused the event.",
                "pattern": r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            },
        },
    }


def _dead_letter_channel() -> Document:
    return {
        "address": "{consumerGroup}.dlq",
        "description": (
            "Records a consumer group could never process, parked for a person to look at."
        ),
        "parameters": {"consumerGroup": {"description": "The consumer group that gave up."}},
        "messages": {"deadLetter": {"$ref": "#/components/messages/deadLetter"}},
    }


def _dead_letter_message() -> Document:
    return {
        "name": "dead-letter",
        "title": "Dead letter",
        "summary": "The original record, unchanged, with the same key.",
        "description": (
            "Headers added to the original ones name the error, the number of attempts and"
            " the source topic, partition and offset."
        ),
        "payload": {"description": "The original record value, whatever it was."},
    }


class _PlainDumper(yaml.SafeDumper):
    """Writes every repeated value in full: anchors and aliases confuse readers and tools."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Multi-line text as a literal block, as it reads in the docstring it comes from."""
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    )


_PlainDumper.add_representer(str, _text)


def render_yaml(document: Document) -> str:
    text: str = yaml.dump(
        document, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, width=100
    )
    return text
