"""Kafka clients configured for the delivery guarantee."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer


def idempotent_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send is never written twice nor out of order."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


def encode_headers(headers: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(name, value.encode()) for name, value in headers.items()]


def decode_headers(headers: object) -> dict[str, str]:
    decoded: dict[str, str] = {}
    for name, value in headers or ():  # type: ignore[attr-defined]
        decoded[name] = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return decoded
