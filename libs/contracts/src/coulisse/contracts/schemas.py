"""JSON Schema snapshots: the published form of every event, kept under version control.

A snapshot is what the model writes on the wire (serialization mode: money is a string), so
that a consumer in any language can validate against it and `compat` can compare a model
with what was published before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .base import CloudEvent
from .registry import EVENT_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_SNAPSHOT = "cloudevent.json"


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of what `model` writes on the wire."""
    return {"$schema": SCHEMA_DIALECT, **model.model_json_schema(mode="serialization")}


def snapshot_name(event_type: str) -> str:
    return f"{event_type}.json"


def current_schemas() -> dict[str, dict[str, Any]]:
    """Every snapshot the code defines, by file name: the envelope and one per event type."""
    schemas = {ENVELOPE_SNAPSHOT: json_schema(CloudEvent)}
    schemas.update({snapshot_name(t): json_schema(m) for t, m in EVENT_TYPES.items()})
    return schemas


def render_json(document: dict[str, Any]) -> str:
    """Stable text, so that a snapshot changes in review only when the schema does."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def snapshot_texts() -> dict[str, str]:
    return {name: render_json(schema) for name, schema in current_schemas().items()}


def read_snapshots(directory: Path) -> dict[str, dict[str, Any]]:
    """The published snapshots found in `directory`, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def write_snapshots(directory: Path) -> list[Path]:
    """Writes every snapshot whose text changed; returns the files written.

    Snapshots without a model are left alone: deleting a published schema is a decision
    for a reviewer, not a side effect of an export.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in snapshot_texts().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
