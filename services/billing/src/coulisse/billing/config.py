"""Settings of the billing service."""

from __future__ import annotations

from pydantic import Field

from coulisse.platform.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    service_name: str = Field("billing", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8002, validation_alias="HTTP_PORT")
