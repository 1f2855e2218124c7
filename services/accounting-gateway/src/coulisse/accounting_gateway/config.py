"""Settings of the accounting gateway."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from coulisse.platform.settings import ServiceSettings

from .adapters.rules_file import DEFAULT_RULES

PLACEHOLDER_SIREN = "000000000"


class GatewaySettings(ServiceSettings):
    service_name: str = Field("accounting-gateway", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8004, validation_alias="HTTP_PORT")
    # The versioned rules file in force; the packaged PCG defaults unless overridden.
    rules_path: Path = Field(DEFAULT_RULES, validation_alias="ACCOUNTING_RULES_PATH")
    # The company's SIREN: it names the FEC file.
    siren: str = Field(
        PLACEHOLDER_SIREN, validation_alias="ACCOUNTING_SIREN", pattern=r"^[0-9]{9}$"
    )

    @model_validator(mode="after")
    def _refuse_placeholder_siren(self) -> GatewaySettings:
        if self.env == "production" and self.siren == PLACEHOLDER_SIREN:
            raise ValueError("ACCOUNTING_SIREN must be the company's SIREN in production")
        return self
