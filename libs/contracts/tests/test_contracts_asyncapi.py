"""The AsyncAPI document is self-contained and describes every topic and event type."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from coulisse.contracts import EVENT_TYPES, TOPICS
from coulisse.contracts.asyncapi import asyncapi_document, channel_id, render_yaml

DOCUMENT = asyncapi_document()


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref} is not local"
    node: Any = DOCUMENT
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_it_is_an_asyncapi_3_document() -> None:
    assert DOCUMENT["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= DOCUMENT["info"].keys()
    assert DOCUMENT["defaultContentType"] == "application/cloudevents+json"


def test_every_reference_resolves_inside_the_document() -> None:
    found = list(refs(DOCUMENT))
    assert found
    for ref in found:
        resolve(ref)


def test_every_topic_is_a_channel_with_its_events() -> None:
    for topic in TOPICS:
        channel = DOCUMENT["channels"][channel_id(topic)]
        assert channel["address"] == topic.name
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
        expected = {t for t, model in EVENT_TYPES.items() if topic.name == model.TOPIC}
        assert set(channel["messages"]) == expected


def test_every_event_type_is_a_message_carrying_its_schema_in_a_cloudevent() -> None:
    messages = DOCUMENT["components"]["messages"]
    for event_type, model in EVENT_TYPES.items():
        message = messages[event_type]
        assert message["name"] == event_type
        envelope, specifics = message["payload"]["allOf"]
        assert resolve(envelope["$ref"])["title"] == "CloudEvent"
        assert specifics["properties"]["type"] == {"const": event_type}
        data = resolve(specifics["properties"]["data"]["$ref"])
        assert set(data["properties"]) == {
            field.alias or name for name, field in model.model_fields.items()
        }
        headers = resolve(message["headers"]["$ref"])
        assert {"content-type", "traceparent"} <= headers["properties"].keys()


def test_each_producer_sends_on_its_own_topic_only() -> None:
    operations = DOCUMENT["operations"]
    assert len(operations) == len(TOPICS)
    for operation in operations.values():
        assert operation["action"] == "send"
        channel = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel + "/messages/")


def test_money_is_a_string_in_the_document() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["PaymentReceived"]["properties"]["amount"]["type"] == "string"


def test_yaml_reads_back_to_the_same_document_without_aliases() -> None:
    text = render_yaml(DOCUMENT)
    assert "&id" not in text and "*id" not in text
    assert yaml.safe_load(text) == DOCUMENT


def test_the_committed_file_parses() -> None:
    committed = Path(__file__).resolve().parents[1] / "asyncapi.yaml"
    assert yaml.safe_load(committed.read_text())["asyncapi"] == "3.0.0"
