"""The committed schema snapshots and AsyncAPI document match the code, and the code keeps
every published schema readable."""

import json
import shutil
from pathlib import Path

import pytest

from coulisse.contracts import EVENT_TYPES
from coulisse.contracts.compat import incompatibilities, published_incompatibilities
from coulisse.contracts.export import (
    ASYNCAPI_FILE,
    SCHEMAS_DIR,
    IncompatibleChange,
    export,
    generated_files,
    main,
    outdated,
)
from coulisse.contracts.schemas import current_schemas, write_snapshots

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / SCHEMAS_DIR
REGENERATE = "run `uv run python -m coulisse.contracts export` and commit the result"


def test_snapshots_are_up_to_date_with_the_models(tmp_path: Path) -> None:
    write_snapshots(tmp_path)
    regenerated = {path.name: path.read_text() for path in tmp_path.iterdir()}
    committed = {path.name: path.read_text() for path in PUBLISHED.glob("*.json")}
    assert sorted(committed) == sorted(regenerated), REGENERATE
    changed = [name for name, text in regenerated.items() if committed[name] != text]
    assert changed == [], REGENERATE


def test_asyncapi_document_is_up_to_date_with_the_models() -> None:
    committed = (ROOT / ASYNCAPI_FILE).read_text()
    assert committed == generated_files()[ASYNCAPI_FILE], REGENERATE


def test_there_is_one_snapshot_per_event_type_and_one_for_the_envelope() -> None:
    names = {path.name for path in PUBLISHED.glob("*.json")}
    assert names == {f"{event_type}.json" for event_type in EVENT_TYPES} | {"cloudevent.json"}


def test_snapshots_are_stable_text() -> None:
    for path in PUBLISHED.glob("*.json"):
        text = path.read_text()
        canonical = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
        assert text == canonical + "\n", f"{path.name} is not sorted, indented, newline-ended"


@pytest.mark.parametrize("name", sorted(path.name for path in PUBLISHED.glob("*.json")))
def test_published_schema_is_still_compatible(name: str) -> None:
    published = json.loads((PUBLISHED / name).read_text())
    assert name in current_schemas(), f"{name} is published but no model produces it"
    assert incompatibilities(published, current_schemas()[name]) == []


def test_money_is_a_string_in_every_snapshot() -> None:
    invoice = json.loads((PUBLISHED / "billing.invoice.issued.v1.json").read_text())
    assert invoice["properties"]["total_gross"]["type"] == "string"
    line = invoice["$defs"]["DocumentLine"]["properties"]
    assert line["unit_price"]["type"] == "string"
    assert line["quantity"]["type"] == "string"


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(PUBLISHED, tmp_path / SCHEMAS_DIR)
    shutil.copy(ROOT / ASYNCAPI_FILE, tmp_path / ASYNCAPI_FILE)
    (tmp_path / "pyproject.toml").write_text("")
    return tmp_path


def test_check_fails_when_a_file_differs_from_the_code(tmp_path: Path) -> None:
    root = copy_of_the_package(tmp_path)
    assert main(["export", "--check", "--root", str(root)]) == 0
    refund = root / SCHEMAS_DIR / "billing.refund.issued.v1.json"
    refund.write_text(refund.read_text().replace("Money was paid back", "Money went back"))
    (root / ASYNCAPI_FILE).unlink()
    assert outdated(root) == [
        f"{SCHEMAS_DIR}/billing.refund.issued.v1.json: differs from the code",
        f"{ASYNCAPI_FILE}: missing",
    ]
    assert main(["export", "--check", "--root", str(root)]) == 1
    assert main(["export", "--root", str(root)]) == 0
    assert outdated(root) == []


def test_check_reports_a_snapshot_no_model_produces(tmp_path: Path) -> None:
    root = copy_of_the_package(tmp_path)
    (root / SCHEMAS_DIR / "billing.invoice.issued.v0.json").write_text("{}\n")
    assert outdated(root) == [f"{SCHEMAS_DIR}/billing.invoice.issued.v0.json: no model produces it"]
    assert published_incompatibilities(root / SCHEMAS_DIR) == {
        "billing.invoice.issued.v0.json": ["published, but no model produces it any more"]
    }


def test_export_refuses_to_overwrite_a_published_schema_it_would_break(tmp_path: Path) -> None:
    root = copy_of_the_package(tmp_path)
    snapshot = root / SCHEMAS_DIR / "collections.dispute.resolved.v1.json"
    published = json.loads(snapshot.read_text())
    published["properties"]["outcome"]["enum"].append("withdrawn")
    published["required"].append("resolved_on")
    published["properties"]["resolved_on"] = {"type": "string", "format": "date"}
    snapshot.write_text(json.dumps(published))

    with pytest.raises(IncompatibleChange) as caught:
        export(root)
    assert caught.value.problems == {
        "collections.dispute.resolved.v1.json": [
            'outcome: enum value "withdrawn" removed',
            "resolved_on: field removed",
        ]
    }
    assert json.loads(snapshot.read_text()) == published
    assert main(["export", "--root", str(root)]) == 1
    assert main(["export", "--check", "--root", str(root)]) == 1
