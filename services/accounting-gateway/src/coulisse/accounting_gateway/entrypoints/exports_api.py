"""HTTP routes of the exports: the FEC and the plain-text journal, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from coulisse.platform.api import IsoDate, started
from coulisse.platform.openapi import text_response

from ..application.exports import fec_export, ledger_export
from ..domain.fec import fec_file_name
from .deps import EngineDep, ReadScope, RulesDep, SettingsDep

router = APIRouter(prefix="/v1/exports", tags=["exports"])


@router.get(
    "/fec",
    response_class=StreamingResponse,
    summary="The Fichier des Écritures Comptables of a fiscal year",
    responses=text_response("the FEC, tab-separated, one line per journal line"),
)
async def fec(
    _: ReadScope,
    engine: EngineDep,
    rules: RulesDep,
    settings: SettingsDep,
    fiscal_year: Annotated[int, Query(ge=1900, le=9999)],
) -> StreamingResponse:
    name = fec_file_name(settings.siren, fiscal_year)
    return StreamingResponse(
        await started(fec_export(engine, fiscal_year=fiscal_year, journals=rules.current.journals)),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/ledger",
    response_class=StreamingResponse,
    summary="The entries as a plain-text journal that hledger and ledger read",
    responses=text_response("the entries in hledger's journal syntax"),
)
async def ledger(
    _: ReadScope,
    engine: EngineDep,
    date_from: Annotated[IsoDate | None, Query(alias="from")] = None,
    date_to: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> StreamingResponse:
    return StreamingResponse(
        await started(ledger_export(engine, date_from=date_from, date_to=date_to)),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="coulisse.journal"'},
    )
