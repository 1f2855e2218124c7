"""Backward compatibility between a published schema snapshot and the current model.

A published event version may only gain optional fields. Both directions matter: consumers
still on the old model read new events, and new consumers re-read old events from the log.
So a field may not be removed, become required, or change type; an enumeration may neither
lose a value (old events carry it) nor gain one (old consumers refuse it); a pattern or a
bound may not change. Anything else needs a new version of the event type.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .schemas import current_schemas, read_snapshots

Schema = dict[str, Any]

_BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
)


def incompatibilities(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Every change from `old_schema` to `new_schema` that breaks a reader of either."""
    problems: list[str] = []
    _Comparison(old_schema, new_schema, problems).compare(old_schema, new_schema, "")
    return problems


def published_incompatibilities(directory: Path) -> dict[str, list[str]]:
    """For each published snapshot in `directory`, how the current code breaks it."""
    current = current_schemas()
    problems: dict[str, list[str]] = {}
    for name, published in read_snapshots(directory).items():
        schema = current.get(name)
        found = (
            ["published, but no model produces it any more"]
            if schema is None
            else incompatibilities(published, schema)
        )
        if found:
            problems[name] = found
    return problems


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema, problems: list[str]) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems = problems

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path or '<root>'}: {message}")

    def compare(
        self, old: Schema, new: Schema, path: str, seen: frozenset[str] = frozenset()
    ) -> None:
        refs = _refs(old) | _refs(new)
        if refs & seen:
            return  # a recursive model: this level was compared already
        seen = seen | refs
        old = _resolve(old, self.old_root)
        new = _resolve(new, self.new_root)
        old_variants = _by_kind(old, self.old_root)
        new_variants = _by_kind(new, self.new_root)
        shape = {kind: len(nodes) for kind, nodes in old_variants.items()}
        if shape != {kind: len(nodes) for kind, nodes in new_variants.items()}:
            self.report(
                path,
                f"type changed from {_describe(old_variants)} to {_describe(new_variants)}",
            )
            return
        for kind, olds in old_variants.items():
            for old_node, new_node in zip(olds, new_variants[kind], strict=True):
                self.compare_node(old_node, new_node, path, seen)

    def compare_node(self, old: Schema, new: Schema, path: str, seen: frozenset[str]) -> None:
        self.compare_values(old, new, path)
        if "properties" in old or "properties" in new:
            self.compare_object(old, new, path, seen)
        extra_old, extra_new = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(extra_old, dict) and isinstance(extra_new, dict):
            self.compare(extra_old, extra_new, f"{path}.*", seen)
        elif extra_old != extra_new:
            self.report(path, f"additionalProperties changed from {extra_old} to {extra_new}")
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], f"{path}[]", seen)

    def compare_values(self, old: Schema, new: Schema, path: str) -> None:
        old_enum, new_enum = _enum(old), _enum(new)
        if old_enum is not None and new_enum is None:
            self.report(path, f"no longer restricted to {', '.join(sorted(old_enum))}")
        elif old_enum is None and new_enum is not None:
            self.report(path, f"now restricted to {', '.join(sorted(new_enum))}")
        elif old_enum is not None and new_enum is not None:
            for value in sorted(old_enum - new_enum):
                self.report(path, f"enum value {value} removed")
            for value in sorted(new_enum - old_enum):
                self.report(path, f"enum value {value} added (readers of this version refuse it)")
        if old.get("pattern") != new.get("pattern"):
            self.report(path, f"pattern changed from {old.get('pattern')} to {new.get('pattern')}")
        for bound in _BOUNDS:
            if old.get(bound) != new.get(bound):
                self.report(path, f"{bound} changed from {old.get(bound)} to {new.get(bound)}")

    def compare_object(self, old: Schema, new: Schema, path: str, seen: frozenset[str]) -> None:
        old_fields: Schema = old.get("properties", {})
        new_fields: Schema = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name, schema in old_fields.items():
            where = f"{path}.{name}" if path else name
            if name not in new_fields:
                self.report(where, "field removed")
                continue
            if name in new_required and name not in old_required:
                self.report(where, "optional field became required")
            elif name in old_required and name not in new_required:
                self.report(where, "required field became optional")
            self.compare(schema, new_fields[name], where, seen)
        for name in sorted(new_fields.keys() - old_fields.keys()):
            if name in new_required:
                self.report(f"{path}.{name}" if path else name, "new required field")


def _refs(node: Schema) -> frozenset[str]:
    ref = node.get("$ref")
    return frozenset({ref}) if isinstance(ref, str) else frozenset()


def _pointer(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = root
    for part in filter(None, ref[1:].split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{ref!r} does not point to a schema")
    return node


def _resolve(node: Schema, root: Schema) -> Schema:
    """The node with `$ref` and single-element `allOf` inlined; sibling keywords win."""
    for _ in range(100):
        if isinstance(node.get("$ref"), str):
            target = _pointer(root, node["$ref"])
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            node = {**node["allOf"][0], **{k: v for k, v in node.items() if k != "allOf"}}
        else:
            return node
    raise ValueError("reference loop in schema")


def _by_kind(node: Schema, root: Schema) -> dict[str, list[Schema]]:
    """The alternatives a value may take (one unless anyOf/oneOf), grouped by JSON type."""
    variants = node.get("anyOf") or node.get("oneOf")
    if not variants:
        return {_kind(node): [node]}
    grouped: dict[str, list[Schema]] = defaultdict(list)
    for variant in variants:
        for kind, nodes in _by_kind(_resolve(variant, root), root).items():
            grouped[kind].extend(nodes)
    return dict(grouped)


def _kind(node: Schema) -> str:
    kind = node.get("type")
    if isinstance(kind, list):
        kind = "|".join(sorted(kind))
    if kind is None:
        values = node["enum"] if "enum" in node else [node["const"]] if "const" in node else []
        kind = "|".join(sorted({type(v).__name__ for v in values})) or "any"
    return f"{kind}:{node['format']}" if "format" in node else str(kind)


def _enum(node: Schema) -> set[str] | None:
    """The allowed values as canonical JSON text (values may be unhashable lists or objects)."""
    if "const" in node:
        return {json.dumps(node["const"], sort_keys=True)}
    if "enum" in node:
        return {json.dumps(value, sort_keys=True) for value in node["enum"]}
    return None


def _describe(variants: dict[str, list[Schema]]) -> str:
    return " | ".join(sorted(variants))
