"""`python -m coulisse.contracts export [--check]`: the generated files, from the code.

Writes the JSON Schema snapshots (`schemas/`) and the AsyncAPI document (`asyncapi.yaml`)
of the contracts package. `--check` writes nothing and fails when a file is out of date, for
CI. An export never overwrites a published snapshot with an incompatible schema: that change
needs a new event version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .asyncapi import asyncapi_document, render_yaml
from .compat import published_incompatibilities
from .schemas import snapshot_texts, write_snapshots

SCHEMAS_DIR = "schemas"
ASYNCAPI_FILE = "asyncapi.yaml"


def default_root() -> Path:
    """`libs/contracts`, when running from the workspace (the editable install)."""
    return Path(__file__).resolve().parents[3]


def generated_files() -> dict[str, str]:
    """Every generated file, by path relative to the package root, with its text."""
    files = {f"{SCHEMAS_DIR}/{name}": text for name, text in snapshot_texts().items()}
    files[ASYNCAPI_FILE] = render_yaml(asyncapi_document())
    return files


def outdated(root: Path) -> list[str]:
    """What differs between the files under `root` and the code, one line per file."""
    expected = generated_files()
    found: list[str] = []
    for relative, text in expected.items():
        path = root / relative
        if not path.exists():
            found.append(f"{relative}: missing")
        elif path.read_text(encoding="utf-8") != text:
            found.append(f"{relative}: differs from the code")
    for path in sorted((root / SCHEMAS_DIR).glob("*.json")):
        relative = f"{SCHEMAS_DIR}/{path.name}"
        if relative not in expected:
            found.append(f"{relative}: no model produces it")
    return found


def export(root: Path) -> list[Path]:
    """Regenerates every file under `root`; returns those that changed.

    Raises `IncompatibleChange` rather than overwrite a published snapshot it would break.
    """
    problems = published_incompatibilities(root / SCHEMAS_DIR)
    if problems:
        raise IncompatibleChange(problems)
    written = write_snapshots(root / SCHEMAS_DIR)
    asyncapi = root / ASYNCAPI_FILE
    text = render_yaml(asyncapi_document())
    if not asyncapi.exists() or asyncapi.read_text(encoding="utf-8") != text:
        asyncapi.write_text(text, encoding="utf-8")
        written.append(asyncapi)
    return written


class IncompatibleChange(Exception):
    """The code breaks a published event schema."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        lines = [f"{name}: {problem}" for name, found in problems.items() for problem in found]
        super().__init__(
            "incompatible change to a published schema; publish a new version of the event"
            " type instead (if this version was never released, delete its snapshot and"
            " export again):\n  " + "\n  ".join(lines)
        )
        self.problems = problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coulisse.contracts")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("export", help="regenerate schema snapshots and AsyncAPI")
    command.add_argument("--check", action="store_true", help="write nothing; fail if outdated")
    command.add_argument("--root", type=Path, default=None, help="the libs/contracts folder")
    args = parser.parse_args(argv)

    root: Path = args.root or default_root()
    if not (root / "pyproject.toml").is_file():
        parser.error(f"{root} is not the contracts package folder; pass --root")
    if args.check:
        found = outdated(root) + [
            f"{SCHEMAS_DIR}/{name}: {problem}"
            for name, problems in published_incompatibilities(root / SCHEMAS_DIR).items()
            for problem in problems
        ]
        for line in found:
            print(line, file=sys.stderr)
        if found:
            print("run: python -m coulisse.contracts export", file=sys.stderr)
        return 1 if found else 0
    try:
        written = export(root)
    except IncompatibleChange as exc:
        print(exc, file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0
