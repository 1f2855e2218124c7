"""Settings of the customer service."""

from __future__ import annotations

from pydantic import Field

from coulisse.platform.settings import ServiceSettings


class CustomerSettings(ServiceSettings):
    service_name: str = Field("customer", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8001, validation_alias="HTTP_PORT")
