"""Kafka topics: one per producing service, keyed so that related facts stay in order."""

from __future__ import annotations

from dataclasses import dataclass

CUSTOMER_EVENTS = "customer.events"
BILLING_EVENTS = "billing.events"
COLLECTIONS_EVENTS = "collections.events"
ACCOUNTING_EVENTS = "accounting.events"

DEFAULT_PARTITIONS = 6


@dataclass(frozen=True, kw_only=True)
class Topic:
    """A topic, the service that alone writes to it, and what its record key is."""

    name: str
    key_description: str
    producer: str
    partitions: int = DEFAULT_PARTITIONS


TOPICS: tuple[Topic, ...] = (
    Topic(
        name=CUSTOMER_EVENTS,
        key_description="the customer id, so that each customer's facts stay in order",
        producer="customer",
    ),
    Topic(
        name=BILLING_EVENTS,
        key_description="the customer id, so that each customer's facts stay in order",
        producer="billing",
    ),
    Topic(
        name=COLLECTIONS_EVENTS,
        key_description="the customer id, so that each customer's facts stay in order",
        producer="collections",
    ),
    Topic(
        name=ACCOUNTING_EVENTS,
        key_description="the journal code for entries, so that each journal's entries stay in "
        "order; the source event's type for a suspended event, the period for a closed period",
        producer="accounting-gateway",
    ),
)


CONSUMER_GROUPS: tuple[str, ...] = ("billing", "collections", "accounting-gateway", "reporting")
"""The consumer groups of the system (one per consuming service): each has a dead-letter topic."""


def dlq_topic(consumer_group: str) -> str:
    """Dead-letter topic of a consumer group: where records it can never process are parked."""
    if not consumer_group:
        raise ValueError("a dead-letter topic needs a consumer group name")
    return f"{consumer_group}.dlq"
