"""The scopes of billing's routes: billing:read for reads, billing:write for changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from coulisse.platform.auth import Principal, require_scope

ReadScope = Annotated[Principal, Depends(require_scope("billing:read"))]
WriteScope = Annotated[Principal, Depends(require_scope("billing:write"))]
