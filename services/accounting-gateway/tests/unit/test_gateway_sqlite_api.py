"""The API on SQLite, the quick local run's database: no broker, no PostgreSQL needed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES
from coulisse.accounting_gateway.bootstrap import definition
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock

# The gateway's clock: January 2026 has ended, so it may close.
CLOCK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)


async def test_manual_books_on_sqlite(tmp_path: Path) -> None:
    async with testing.service_in_process(
        definition,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite'}",
        clock=SettableClock(CLOCK_START),
        env={"ACCOUNTING_SIREN": "732829320"},
    ) as service:
        client = service.client
        client.headers.update(testing.auth_headers(["accounting:read", "accounting:write"]))
        body = {
            "entry_date": "2026-01-15",
            "label": "Capital",
            "lines": [
                {"account": "512", "debit": "1000.00"},
                {"account": "758", "credit": "1000.00"},
            ],
        }
        created = await client.post("/v1/journal-entries", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["entry_number"] == "OD-2026-000001"
        reversed_ = await client.post(
            f"/v1/journal-entries/{created.json()['id']}/reversal",
            json={"entry_date": "2026-02-01"},
        )
        assert reversed_.status_code == 201

        close = await client.post("/v1/periods/2026-01/close")
        assert close.status_code == 200, close.text
        periods = {
            p["period"]: p["status"] for p in (await client.get("/v1/periods")).json()["items"]
        }
        assert periods["2026-01"] == "closed" and periods["2026-02"] == "open"

        trial = (await client.get("/v1/trial-balance", params={"as_of": "2026-01-31"})).json()
        assert trial["totals"] == {"debit": "1000.00", "credit": "1000.00"}
        ledger = (await client.get("/v1/accounts/512/ledger")).json()
        assert [line["running_balance"] for line in ledger["lines"]] == ["1000.00", "0.00"]
        page = (await client.get("/v1/accounts/5/ledger", params={"limit": 1})).json()
        rest = (
            await client.get(
                "/v1/accounts/5/ledger", params={"limit": 1, "cursor": page["next_cursor"]}
            )
        ).json()
        assert rest["lines"][0]["running_balance"] == "0.00" and rest["next_cursor"] is None
        opening = (
            await client.get("/v1/accounts/512/ledger", params={"from": "2026-02-01"})
        ).json()
        assert (opening["opening_balance"], opening["balance"], opening["closing_balance"]) == (
            "1000.00",
            "-1000.00",
            "0.00",
        )

        fec = await client.get("/v1/exports/fec", params={"fiscal_year": 2026})
        assert fec.status_code == 200 and len(fec.text.splitlines()) == 5
        journal = await client.get("/v1/exports/ledger")
        assert journal.text.count("(OD-2026-") == 2
        assert (await client.get("/v1/suspense")).json() == {"items": [], "next_cursor": None}
        assert (await client.get("/v1/mappings")).json()["version"] == "pcg-2026.2"


async def test_over_long_inputs_and_a_bad_rules_file_are_refused_by_name(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    async with testing.service_in_process(
        definition,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'gateway.sqlite'}",
        env={"ACCOUNTING_SIREN": "732829320", "ACCOUNTING_RULES_PATH": str(rules)},
    ) as service:
        client = service.client
        client.headers.update(testing.auth_headers(["accounting:read", "accounting:write"]))
        body: dict[str, Any] = {
            "entry_date": "2026-01-15",
            "label": "Capital",
            "lines": [
                {"account": "512", "debit": "1000.00"},
                {"account": "758", "credit": "1000.00"},
            ],
        }
        # One character more than the API takes, on each text a person types in.
        too_long = [copy.deepcopy(body) for _ in range(3)]
        too_long[0]["label"] = "L" * 301
        too_long[1]["piece_ref"] = "P" * 101
        too_long[2]["lines"][1]["label"] = "L" * 301
        for field, refused_body in zip(
            ("label", "piece_ref", "lines.1.label"), too_long, strict=True
        ):
            refused = await client.post("/v1/journal-entries", json=refused_body)
            assert refused.status_code == 422, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in refused.json()["errors"]] == [f"body.{field}"]
        at_most = {**body, "label": "L" * 300, "piece_ref": "P" * 100}
        created = await client.post("/v1/journal-entries", json=at_most)
        assert created.status_code == 201, created.text
        assert created.json()["label"] == "L" * 300 and created.json()["piece_ref"] == "P" * 100

        broken = yaml.safe_load(rules.read_text(encoding="utf-8"))
        broken["version"] = "pcg-2026.3"
        broken["rules"]["billing.refund.issued.v1"]["journal"] = "ZZ"
        broken["rules"]["billing.refund.issued.v1"]["lines"][1]["acount"] = "512"
        rules.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
        reload = await client.post("/v1/mappings/reload")
        assert reload.status_code == 422, reload.text
        assert reload.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in reload.json()["errors"]] == [
            "rules.billing.refund.issued.v1.lines[1].acount"
        ]
        assert (
            "rules.billing.refund.issued.v1.lines[1].acount: unknown key"
            in (reload.json()["detail"])
        )
        assert (await client.get("/v1/mappings")).json()["version"] == "pcg-2026.2"

        del broken["rules"]["billing.refund.issued.v1"]["lines"][1]["acount"]
        rules.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
        reload = await client.post("/v1/mappings/reload")
        assert reload.status_code == 422, reload.text
        assert reload.json()["errors"] == [
            {
                "field": "rules.billing.refund.issued.v1.journal",
                "message": "journal ZZ is not under `journals`",
            }
        ]
        assert (await client.get("/v1/mappings")).json()["version"] == "pcg-2026.2"
