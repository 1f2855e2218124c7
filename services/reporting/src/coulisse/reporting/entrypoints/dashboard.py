"""The operations dashboard: `GET /` and its static assets under `/static/`.

The page and its assets need no token: they hold no data. Everything the page shows comes from
the `/v1` routes, called by the page with the bearer token the user gives it (in the address's
fragment, `/#token=…`, which browsers never send to a server, or typed in its form). The page is
not part of the API, so it stays out of the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static"
PAGE = STATIC / "dashboard.html"

# The page holds a token: only its own scripts and styles run, it calls only this origin, and
# no other site may frame it.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC), name="static")


@router.get("/", response_class=FileResponse)
async def dashboard() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
