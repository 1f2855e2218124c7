"""Settings of the collections service."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from coulisse.platform.settings import ServiceSettings


class CollectionsSettings(ServiceSettings):
    service_name: str = Field("collections", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8003, validation_alias="HTTP_PORT")

    # -- the daily run --
    # The local time (Paris) the service runs dunning for the day by itself (workers role);
    # unset: runs happen only when POST /v1/dunning/runs is called.
    dunning_daily_at: time | None = Field(None, validation_alias="COULISSE_DUNNING_DAILY_AT")
    dunning_check_seconds: float = Field(
        30.0, gt=0, validation_alias="COULISSE_DUNNING_CHECK_SECONDS"
    )

    # -- notice delivery --
    # The notice sender runs (workers role) only when an SMTP server is configured.
    smtp_host: str | None = Field(None, validation_alias="COULISSE_SMTP_HOST")
    smtp_port: int = Field(25, ge=1, le=65535, validation_alias="COULISSE_SMTP_PORT")
    smtp_username: str | None = Field(None, validation_alias="COULISSE_SMTP_USERNAME")
    smtp_password: str | None = Field(None, validation_alias="COULISSE_SMTP_PASSWORD")
    # auto: STARTTLS when the server offers it; starttls: required; tls: implicit TLS (465).
    smtp_security: Literal["auto", "starttls", "tls", "none"] = Field(
        "auto", validation_alias="COULISSE_SMTP_SECURITY"
    )
    smtp_timeout_seconds: float = Field(30.0, gt=0, validation_alias="COULISSE_SMTP_TIMEOUT")
    notice_from: str = Field(
        "Coulisse Demo SAS <recouvrement@coulisse-demo.example>",
        validation_alias="COULISSE_NOTICE_FROM",
    )
    creditor_name: str = Field("Coulisse Demo SAS", validation_alias="COULISSE_CREDITOR_NAME")
    creditor_address: str = Field(
        "8 rue des Coulisses, 75009 Paris", validation_alias="COULISSE_CREDITOR_ADDRESS"
    )
    creditor_siren: str = Field("123456782", validation_alias="COULISSE_CREDITOR_SIREN")
    creditor_iban: str = Field(
        "FR76 3000 6000 0112 3456 7890 189", validation_alias="COULISSE_CREDITOR_IBAN"
    )
    creditor_bic: str = Field("AGRIFRPPXXX", validation_alias="COULISSE_CREDITOR_BIC")
    # Days after the document's date to pay by.
    notice_deadline_days: int = Field(15, ge=1, validation_alias="COULISSE_NOTICE_DEADLINE_DAYS")
    formal_notice_deadline_days: int = Field(
        8, ge=1, validation_alias="COULISSE_FORMAL_NOTICE_DEADLINE_DAYS"
    )
    notice_poll_seconds: float = Field(5.0, gt=0, validation_alias="COULISSE_NOTICE_POLL_SECONDS")
    # The first retry after an SMTP failure; each next one waits twice as long, up to an hour.
    notice_retry_seconds: float = Field(
        30.0, gt=0, validation_alias="COULISSE_NOTICE_RETRY_SECONDS"
    )
    # How often a notice whose recipient is not known yet looks again.
    notice_recipient_wait_seconds: float = Field(
        300.0, gt=0, validation_alias="COULISSE_NOTICE_RECIPIENT_WAIT_SECONDS"
    )

    @field_validator(
        "dunning_daily_at", "smtp_host", "smtp_username", "smtp_password", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # COULISSE_SMTP_HOST= (empty) means no sender, like leaving it out.
        return None if isinstance(value, str) and not value.strip() else value
