"""`/healthz` (the process answers) and `/readyz` (its database and Kafka answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from coulisse.platform.openapi import PROBLEM_JSON, RETRY_AFTER_SECONDS, problems

Check = Callable[[], Awaitable[None]]

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str] = Field(description="each dependency and `ok`")


@router.get("/healthz", response_model=Alive, summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The database and Kafka are reachable",
    responses=problems((503, "not ready: `checks` names each dependency, `ok` or why it fails")),
)
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Check] = request.app.state.readiness_checks
    results: dict[str, str] = {}
    failing: list[str] = []
    for name, check in checks.items():
        try:
            async with asyncio.timeout(3):  # not wait_for: it may swallow a cancellation
                await check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready", named
            results[name] = f"failing: {type(exc).__name__}: {exc}"[:300]
            failing.append(name)
    if failing:
        body = {
            "type": "https://coulisse.dev/problems/not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": f"unreachable: {', '.join(failing)}",
            "checks": results,
        }
        return JSONResponse(
            body,
            status_code=503,
            media_type=PROBLEM_JSON,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return JSONResponse({"status": "ready", "checks": results})
