"""Reads the versioned rules file; keeps the active rule book and can reload it."""

from __future__ import annotations

from pathlib import Path

import yaml

from coulisse.platform.clock import Clock

from ..domain.posting_rules import RuleBook
from .rules_schema import RuleBookError, parse_rulebook

DEFAULT_RULES = Path(__file__).resolve().parents[1] / "rules" / "pcg-2026.2.yaml"


def load_rulebook(path: Path) -> RuleBook:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleBookError([(str(path), f"not valid YAML: {exc}")]) from exc
    return parse_rulebook(document)


class RuleBookSource:
    """The rule book in force in this process: loaded at start, replaced whole on reload."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        self.current = load_rulebook(path)
        self.loaded_at = clock.now()

    def reload(self) -> RuleBook:
        """Reads the file again; a file that does not read keeps the rules in force."""
        self.current = load_rulebook(self.path)
        self.loaded_at = self._clock.now()
        return self.current
