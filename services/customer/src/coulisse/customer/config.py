"""Settings of the customer service."""

from __future__ import annotations

import base64
import hashlib

from pydantic import Field, SecretStr, model_validator

from coulisse.platform.crypto import KeyringError, MasterKeyring
from coulisse.platform.settings import ServiceSettings

LOCAL_MASTER_KEYS = "local-dev:" + base64.b64encode(
    hashlib.sha256(b"coulisse-local-development-master-key-change-me").digest()
).decode("ascii")
"""The master key of a local run and of the tests: public, so refused in production."""


class CustomerSettings(ServiceSettings):
    service_name: str = Field("customer", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8001, validation_alias="HTTP_PORT")
    # `id:base64-of-32-bytes`, comma-separated: the first wraps customers' data keys, the others
    # only unwrap (a rotation puts the new key first, then `rewrap-keys`, then drops the old).
    personal_data_master_keys: SecretStr = Field(
        SecretStr(LOCAL_MASTER_KEYS), validation_alias="COULISSE_PERSONAL_DATA_MASTER_KEYS"
    )

    @model_validator(mode="after")
    def _check_master_keys(self) -> CustomerSettings:
        try:
            keyring = self.keyring()
        except KeyringError as exc:
            raise ValueError(f"COULISSE_PERSONAL_DATA_MASTER_KEYS: {exc}") from exc
        local_id, _, local_secret = LOCAL_MASTER_KEYS.partition(":")
        configured = self.personal_data_master_keys.get_secret_value()
        if self.env == "production" and (local_id in keyring.ids or local_secret in configured):
            raise ValueError(
                "COULISSE_PERSONAL_DATA_MASTER_KEYS holds the local development key: set real "
                "master keys outside local mode"
            )
        return self

    def keyring(self) -> MasterKeyring:
        return MasterKeyring.parse(self.personal_data_master_keys.get_secret_value())
