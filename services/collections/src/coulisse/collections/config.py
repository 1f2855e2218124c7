"""Settings of the collections service."""

from __future__ import annotations

from pydantic import Field

from coulisse.platform.settings import ServiceSettings


class CollectionsSettings(ServiceSettings):
    service_name: str = Field("collections", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8003, validation_alias="HTTP_PORT")
