"""HTTP routes of the mappings: the rules file in force, and its reload after a fix."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from coulisse.platform.domain import InvalidInput
from coulisse.platform.openapi import problems

from ..adapters.rules_file import RuleBookSource
from ..adapters.rules_schema import RuleBookError
from .deps import ReadScope, RulesDep, WriteScope
from .schemas import MappingsRead

router = APIRouter(prefix="/v1/mappings", tags=["mappings"])


def _read(source: RuleBookSource) -> MappingsRead:
    book = source.current
    document: dict[str, Any] = dict(book.document)
    return MappingsRead(
        version=book.version,
        description=book.description,
        digest=book.digest,
        source=str(source.path),
        loaded_at=source.loaded_at,
        journals=dict(book.journals.labels),
        accounts={
            number: {"label": account.label, "auxiliary": account.auxiliary}
            for number, account in book.chart.accounts.items()
        },
        accepted_prefixes=dict(book.chart.accepted_prefixes),
        rules=dict(document.get("rules") or {}),
    )


@router.get("", response_model=MappingsRead, summary="The event → entry rules in force")
async def mappings(_: ReadScope, rules: RulesDep) -> MappingsRead:
    return _read(rules)


@router.post(
    "/reload",
    response_model=MappingsRead,
    summary="Read the rules file again (a file that does not read keeps the rules in force)",
    responses=problems((422, "the rules file does not read: `errors` lists each fault")),
)
async def reload(_: WriteScope, rules: RulesDep) -> MappingsRead:
    try:
        rules.reload()
    except RuleBookError as exc:
        # One item per fault, named by its key path in the file.
        raise InvalidInput(
            f"the rules file was not reloaded: {exc}",
            errors=[{"field": where, "message": message} for where, message in exc.problems],
        ) from exc
    except OSError as exc:
        raise InvalidInput(f"the rules file was not reloaded: {exc}", field="rules") from exc
    return _read(rules)
