"""Settings of the reporting service."""

from __future__ import annotations

from pydantic import Field

from coulisse.platform.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = Field("reporting", validation_alias="COULISSE_SERVICE")
    http_port: int = Field(8005, validation_alias="HTTP_PORT")

    # -- live streams (Server-Sent Events) --
    # How often an open stream looks for new positions in the read model: one indexed query
    # per stream, no memory kept per idle client.
    stream_poll_seconds: float = Field(
        0.5, gt=0, le=10, validation_alias="COULISSE_STREAM_POLL_SECONDS"
    )
    # A comment line at least this often keeps proxies from closing an idle stream.
    stream_heartbeat_seconds: float = Field(
        15.0, gt=0, le=15, validation_alias="COULISSE_STREAM_HEARTBEAT_SECONDS"
    )
    # The `retry:` hint: how long a client waits before reconnecting.
    stream_retry_ms: int = Field(3000, ge=100, validation_alias="COULISSE_STREAM_RETRY_MS")

    # -- rebuilds --
    rebuild_poll_seconds: float = Field(2.0, gt=0, validation_alias="COULISSE_REBUILD_POLL_SECONDS")
    # A rebuild that has not read the topics to their end within this time fails and leaves
    # the live read model as it was.
    rebuild_timeout_seconds: float = Field(
        3600.0, gt=0, validation_alias="COULISSE_REBUILD_TIMEOUT_SECONDS"
    )

    @property
    def rebuild_stale_after_seconds(self) -> float:
        """A rebuild fails by itself after its timeout: one still running a minute later was
        interrupted (its process stopped)."""
        return self.rebuild_timeout_seconds + 60
