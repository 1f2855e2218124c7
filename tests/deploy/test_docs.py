"""The documentation stands alone and keeps up with the event catalogue.

The contract lives in the repository (`docs/events.md`, `docs/api.md`, `docs/accounting.md`):
no tracked Markdown or Python file may send the reader to a folder outside it, and every event
type the contracts register has its section in `docs/events.md`.

Plain files only: `git ls-files` and the contracts registry; no network, no broker, no database.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from coulisse.contracts.registry import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
EVENTS_DOC = ROOT / "docs" / "events.md"
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()

# The references that point outside the repository; this file names them and is skipped.
OUTSIDE_REFERENCES = ("shared/design", "../shared")
SKIPPED = {"uv.lock", THIS_FILE}


def tracked_docs_and_code() -> list[str]:
    """Tracked Markdown and Python files, as paths relative to the repository root."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.md", "*.py"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    paths = [path for path in listing.stdout.decode().split("\0") if path]
    return sorted(path for path in paths if path not in SKIPPED and (ROOT / path).is_file())


def test_the_repository_is_under_git() -> None:
    assert tracked_docs_and_code(), "git ls-files found no Markdown or Python file"


def test_no_file_points_outside_the_repository() -> None:
    offenders = []
    for path in tracked_docs_and_code():
        text = (ROOT / path).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for reference in OUTSIDE_REFERENCES:
                if reference in line:
                    offenders.append(f"{path}:{number}: {reference}")
    assert offenders == [], (
        "the contract is in docs/ (events.md, api.md, accounting.md); "
        "link there instead:\n  " + "\n  ".join(offenders)
    )


def catalogue_headings() -> set[str]:
    """The event types that head a section of docs/events.md (`#### \\`<type>\\``)."""
    text = EVENTS_DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^#{2,6} `([a-z_]+\.[a-z_]+\.[a-z_]+\.v[0-9]+)`\s*$", text, re.M))


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_has_its_section_in_the_catalogue(event_type: str) -> None:
    assert event_type in catalogue_headings(), (
        f"docs/events.md has no section for {event_type}: add a heading "
        f"'#### `{event_type}`' with its producer, meaning and fields"
    )


def test_the_catalogue_lists_no_event_type_the_contracts_do_not_register() -> None:
    assert catalogue_headings() - set(EVENT_TYPES) == set()
