"""Reading the rules file: a malformed file is refused with the place of the fault."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from coulisse.accounting_gateway.adapters.rules_file import (
    DEFAULT_RULES,
    RuleBookSource,
    load_rulebook,
)
from coulisse.accounting_gateway.domain.posting_rules import RuleBookError, parse_rulebook

RULES = load_rulebook(DEFAULT_RULES)


def document() -> dict[str, Any]:
    return copy.deepcopy(dict(RULES.document))


def test_the_default_file_reads() -> None:
    assert RULES.version == "pcg-2026.1"
    assert RULES.journals.labels == {
        "VT": "Ventes",
        "BQ": "Banque",
        "OD": "Opérations diverses",
        "AN": "À-nouveaux",
    }
    receivable = RULES.chart.find("411")
    assert receivable is not None and receivable.auxiliary
    assert RULES.chart.find("706100") is not None
    assert RULES.chart.find("706100").label == "Prestations de services"  # type: ignore[union-attr]
    assert RULES.chart.find("999") is None
    assert RULES.chart.find("41") is None
    assert len(RULES.digest) == 16


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.update(extra=1), "rules file"),
        (lambda d: d["rules"]["billing.refund.issued.v1"].pop("journal"), "journal"),
        (
            lambda d: d["rules"]["billing.refund.issued.v1"]["lines"][0].update(credit="amount"),
            "lines[0]",
        ),
        (lambda d: d["rules"]["billing.refund.issued.v1"].update(lines=[]), "lines"),
        (
            lambda d: d["rules"]["billing.refund.issued.v1"]["lines"][0].update(acount="411"),
            "lines[0]",
        ),
        (lambda d: d.update(rules=[]), "rules"),
    ],
)
def test_a_malformed_file_is_refused(change: Any, where: str) -> None:
    broken = document()
    change(broken)
    with pytest.raises(RuleBookError) as error:
        parse_rulebook(broken)
    assert where in str(error.value)


def test_reload_keeps_the_rules_in_force_when_the_new_file_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    source = RuleBookSource(path)
    path.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(RuleBookError):
        source.reload()
    assert source.current.version == "pcg-2026.1"
    path.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace("pcg-2026.1", "pcg-2026.2"),
        encoding="utf-8",
    )
    assert source.reload().version == "pcg-2026.2"
