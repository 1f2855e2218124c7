"""The bearer token a service shows another one, and the reader of customer events built on it.

Apart from `personal_data.py` because minting reuses the HTTP layer's `auth.mint_token`, which
the application layers that seal and open personal data must not import.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx

from coulisse.platform.auth import mint_token
from coulisse.platform.clock import Clock
from coulisse.platform.personal_data import KEY_SCOPE, CustomerEvents, PersonalDataKeys
from coulisse.platform.settings import ServiceSettings


class ServiceToken:
    """The bearer token a consumer shows the customer service.

    Production: `COULISSE_SERVICE_TOKEN_FILE` (read at each use, so the platform may rotate
    it) or `COULISSE_SERVICE_TOKEN`, issued by the identity provider with the scope
    `customers:keys`. Local and test runs mint one from the shared HS256 secret, with the
    service's name as `sub`.
    """

    LIFETIME_SECONDS = 3600

    def __init__(self, settings: ServiceSettings, clock: Clock) -> None:
        self._settings = settings
        self._clock = clock
        self._minted: tuple[datetime, str] | None = None
        if (
            settings.env == "production"
            and settings.service_token is None
            and settings.service_token_file is None
        ):
            raise ValueError(
                "set COULISSE_SERVICE_TOKEN_FILE or COULISSE_SERVICE_TOKEN (scope customers:keys) "
                "to read customers' personal data in production"
            )

    def __call__(self) -> str:
        settings = self._settings
        if settings.service_token_file is not None:
            return Path(settings.service_token_file).read_text(encoding="utf-8").strip()
        if settings.service_token is not None:
            return settings.service_token.get_secret_value()
        now = self._clock.now()
        if self._minted is None or now - self._minted[0] > timedelta(
            seconds=self.LIFETIME_SECONDS / 2
        ):
            token = mint_token(
                settings.jwt_secret,
                settings.service_name,
                [KEY_SCOPE],
                self.LIFETIME_SECONDS,
                clock=self._clock,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
            )
            self._minted = (now, token)
        return self._minted[1]


def customer_events(
    settings: ServiceSettings,
    clock: Clock,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CustomerEvents:
    """The reader of customer events of a service process: keys from `COULISSE_CUSTOMER_URL`."""
    return CustomerEvents(
        PersonalDataKeys(
            base_url=settings.customer_url,
            token=ServiceToken(settings, clock),
            clock=clock,
            transport=transport,
        )
    )
