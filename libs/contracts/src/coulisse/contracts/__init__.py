"""Coulisse event contracts: the typed payloads, topics and schemas every service shares.

Data only: this package never imports a service, so that every service can import it.
"""

from . import registry, topics
from .base import CloudEvent, ContractModel, EventPayload
from .money import Currency, DecimalString, Instant, Money, format_money, round_money
from .registry import EVENT_TYPES, UnknownEventType, model_for, parse_data
from .topics import (
    ACCOUNTING_EVENTS,
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
    TOPICS,
    Topic,
    dlq_topic,
)

__all__ = [
    "ACCOUNTING_EVENTS",
    "BILLING_EVENTS",
    "COLLECTIONS_EVENTS",
    "CUSTOMER_EVENTS",
    "EVENT_TYPES",
    "TOPICS",
    "CloudEvent",
    "ContractModel",
    "Currency",
    "DecimalString",
    "EventPayload",
    "Instant",
    "Money",
    "Topic",
    "UnknownEventType",
    "dlq_topic",
    "format_money",
    "model_for",
    "parse_data",
    "registry",
    "round_money",
    "topics",
]
