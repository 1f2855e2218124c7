"""Error texts reach logs, spans and dead-letter headers: they say where and why, never the
values (names, e-mails) that caused them."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from coulisse.contracts.customer import CustomerRegistered
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import MalformedEvent, error_text, parse_record_value
from coulisse.platform.telemetry import redact_request_span

EMAIL = "leaky.person@example.fr"
NAME = "Prudence Fuite"


def test_a_validation_error_is_described_without_its_values() -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerRegistered.model_validate(
            {"customer_id": str(uuid4()), "display_name": NAME, "email": EMAIL, "kind": NAME}
        )
    assert NAME in str(caught.value)  # pydantic's own text quotes them
    text = error_text(caught.value)
    assert text.startswith("ValidationError: ")
    assert "kind:" in text and "account_number:" in text
    assert NAME not in text and EMAIL not in text


def test_a_record_whose_data_does_not_fit_is_refused_without_quoting_it() -> None:
    value = json.dumps(
        {
            "id": str(uuid4()),
            "source": "/coulisse/customer",
            "type": CustomerRegistered.TYPE,
            "subject": "x",
            "time": "2026-06-15T10:00:00Z",
            "partitionkey": "x",
            "actor": "x",
            "correlationid": "x",
            "data": {"display_name": NAME, "email": EMAIL, "payment_terms_days": -1},
        }
    ).encode()
    with pytest.raises(MalformedEvent) as caught:
        parse_record_value(value)
    assert "payment_terms_days" in str(caught.value)
    assert NAME not in str(caught.value) and EMAIL not in str(caught.value)


async def test_an_sql_error_names_its_statement_not_its_values(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'errors.sqlite'}")
    table = sa.Table("people", sa.MetaData(), sa.Column("email", sa.String(), primary_key=True))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(table.metadata.create_all)
            await conn.execute(sa.insert(table).values(email=EMAIL))
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as conn:
                await conn.execute(sa.insert(table).values(email=EMAIL))
    finally:
        await engine.dispose()
    assert "INSERT INTO people" in str(caught.value)
    assert EMAIL not in str(caught.value) and EMAIL not in error_text(caught.value)


def test_query_values_are_masked_in_request_spans() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span(
        "GET /v1/customers",
        attributes={"http.url": f"http://service/v1/customers?q={EMAIL}&limit=5"},
    ) as span:
        redact_request_span(span, {"query_string": f"q={EMAIL}&limit=5".encode()})
    attributes = dict(span.attributes or {})  # type: ignore[attr-defined]
    assert attributes["http.url"] == "http://service/v1/customers?q=REDACTED&limit=REDACTED"
