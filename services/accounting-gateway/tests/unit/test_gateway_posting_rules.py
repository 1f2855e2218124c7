"""Reading the rules file: a bad file is refused with the key path of each fault."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coulisse.accounting_gateway.adapters.rules_file import (
    DEFAULT_RULES,
    RuleBookSource,
    load_rulebook,
)
from coulisse.accounting_gateway.adapters.rules_schema import RuleBookError, parse_rulebook
from coulisse.accounting_gateway.domain.posting_rules import AccountRef, PostingRule
from coulisse.platform.clock import SystemClock

RULES = load_rulebook(DEFAULT_RULES)
INVOICE = "billing.invoice.issued.v1"
REFUND = "billing.refund.issued.v1"


def document() -> dict[str, Any]:
    return copy.deepcopy(dict(RULES.document))


def test_the_default_file_reads() -> None:
    assert RULES.version == "pcg-2026.2"
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


def test_the_file_gives_the_rule_objects_the_engine_runs() -> None:
    invoice = RULES.rule_for(INVOICE)
    assert invoice is not None
    assert [case.when for case in invoice.cases] == [{"kind": "standard"}, {"kind": "fee"}]
    receivable, revenue, vat = invoice.cases[0].lines
    assert (receivable.account, receivable.side, receivable.amount) == (
        AccountRef(literal="411"),
        "debit",
        "total_gross",
    )
    assert revenue.account == AccountRef(field="revenue_account", default="706")
    assert revenue.for_each == "lines" and revenue.group_by_account
    assert vat.label == "TVA {vat_rate} % facture {$.number}"
    assert RULES.rule_for("customer.request.opened.v1") == PostingRule(
        "customer.request.opened.v1", no_posting=True, reason="a request moves no money"
    )


def _lines(d: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = d["rules"][INVOICE]["cases"][0]["lines"]
    return lines


BROKEN: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    # missing keys
    ("missing version", lambda d: d.pop("version"), "version", "required key is missing"),
    (
        "missing journal",
        lambda d: d["rules"][REFUND].pop("journal"),
        f"rules.{REFUND}.journal",
        "required key is missing",
    ),
    (
        "missing amount",
        lambda d: _lines(d)[2].pop("credit"),
        f"rules.{INVOICE}.cases[0].lines[2]",
        "exactly one of `debit` or `credit`",
    ),
    # unknown keys
    ("unknown top key", lambda d: d.update(extra=1), "extra", "unknown key"),
    (
        "misspelt line key",
        lambda d: _lines(d)[2].update(acount="44571"),
        f"rules.{INVOICE}.cases[0].lines[2].acount",
        "unknown key",
    ),
    (
        "unknown key of a no-posting rule",
        lambda d: d["rules"]["customer.request.opened.v1"].update(journal="OD"),
        "rules.customer.request.opened.v1.journal",
        "unknown key",
    ),
    # wrong types
    ("rules as a list", lambda d: d.update(rules=[]), "rules", "expected a mapping"),
    (
        "lines as a text",
        lambda d: d["rules"][REFUND].update(lines="411"),
        f"rules.{REFUND}.lines",
        "expected a list",
    ),
    (
        "unquoted account",
        lambda d: _lines(d)[2].update(account=44571),
        f"rules.{INVOICE}.cases[0].lines[2].account",
        "expected a text or a mapping",
    ),
    (
        "flag as a text",
        lambda d: _lines(d)[1].update(group_by_account="yes"),
        f"rules.{INVOICE}.cases[0].lines[1].group_by_account",
        "expected true or false",
    ),
    (
        "no lines",
        lambda d: d["rules"][REFUND].update(lines=[]),
        f"rules.{REFUND}.lines",
        "at least one",
    ),
    (
        "account number too short",
        lambda d: d["accounts"].update({"41": "Clients"}),
        "accounts.41",
        "account number of 3 to 12 digits",
    ),
    (
        "version longer than the books record",
        lambda d: d.update(version="v" * 51),
        "version",
        "at most 50 characters",
    ),
    (
        "path with a space",
        lambda d: d["rules"][REFUND]["lines"][0].update(debit="total amount"),
        f"rules.{REFUND}.lines[0].debit",
        "expected a path",
    ),
    # references to what the file does not declare
    (
        "unknown journal",
        lambda d: d["rules"][INVOICE]["cases"][1].update(journal="ZZ"),
        f"rules.{INVOICE}.cases[1].journal",
        "journal ZZ is not under `journals`",
    ),
    (
        "unknown account",
        lambda d: _lines(d)[2].update(account="44572"),
        f"rules.{INVOICE}.cases[0].lines[2].account",
        "account 44572 is not under `accounts`",
    ),
    (
        "unknown default account",
        lambda d: _lines(d)[1]["account"].update(default="999"),
        f"rules.{INVOICE}.cases[0].lines[1].account.default",
        "account 999 is not under `accounts`",
    ),
    (
        "collective account without auxiliary",
        lambda d: d["rules"][REFUND]["lines"][0].pop("auxiliary"),
        f"rules.{REFUND}.lines[0].auxiliary",
        "account 411 is collective",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_bad_file_is_refused_with_the_key_path(
    change: Callable[[dict[str, Any]], Any], where: str, message: str
) -> None:
    broken = document()
    change(broken)
    with pytest.raises(RuleBookError) as error:
        parse_rulebook(broken)
    found = [text for path, text in error.value.problems if path == where]
    assert found and message in found[0], error.value.problems
    assert f"{where}: {found[0]}" in str(error.value)


def test_every_fault_is_reported_at_once() -> None:
    broken = document()
    broken["rules"][INVOICE]["cases"][0]["journal"] = "ZZ"
    broken["rules"][REFUND]["lines"][1]["account"] = "5999"
    with pytest.raises(RuleBookError) as error:
        parse_rulebook(broken)
    assert [where for where, _ in error.value.problems] == [
        f"rules.{INVOICE}.cases[0].journal",
        f"rules.{REFUND}.lines[1].account",
    ]


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(RuleBookError) as error:
        load_rulebook(path)
    [(where, message)] = error.value.problems
    assert where == str(path) and message.startswith("not valid YAML")


def test_reload_keeps_the_rules_in_force_when_the_new_file_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    source = RuleBookSource(path, SystemClock())
    path.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(RuleBookError):
        source.reload()
    assert source.current.version == "pcg-2026.2"
    path.write_text(
        DEFAULT_RULES.read_text(encoding="utf-8").replace("pcg-2026.2", "pcg-2026.3"),
        encoding="utf-8",
    )
    assert source.reload().version == "pcg-2026.3"
