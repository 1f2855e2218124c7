"""Settings every service shares, read from the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_DEV_SECRET = "coulisse-local-development-secret-change-me"
"""The HS256 secret of a quick local run; refused outside local mode."""

ALL_SCOPES: tuple[str, ...] = (
    "customers:read",
    "customers:write",
    "customers:keys",
    "billing:read",
    "billing:write",
    "collections:read",
    "collections:write",
    "accounting:read",
    "accounting:write",
    "reports:read",
    "reports:admin",
)

CACHE_DIR = Path(".cache")


class ServiceSettings(BaseSettings):
    """Configuration of one service process. Each service subclasses it to set its name and port."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = Field("service", validation_alias="COULISSE_SERVICE")
    env: Literal["local", "test", "production"] = Field("local", validation_alias="COULISSE_ENV")
    http_host: str = Field("127.0.0.1", validation_alias="HTTP_HOST")
    http_port: int = Field(8000, validation_alias="HTTP_PORT")
    database_url: str | None = Field(None, validation_alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    jwt_secret: str = Field(LOCAL_DEV_SECRET, validation_alias="COULISSE_JWT_SECRET")
    jwks_url: str | None = Field(None, validation_alias="COULISSE_JWKS_URL")
    jwt_audience: str | None = Field(None, validation_alias="COULISSE_JWT_AUDIENCE")
    jwt_issuer: str | None = Field(None, validation_alias="COULISSE_JWT_ISSUER")
    # Browser front ends allowed to call the API (CORS), comma-separated origins; none by default.
    cors_origins: str = Field("", validation_alias="COULISSE_CORS_ORIGINS")
    otlp_endpoint: str | None = Field(None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    # Where spans go: OTLP to a collector (containers, Kubernetes; only when the endpoint above is
    # set), straight to a Zipkin server (the local run), or nowhere. They are created either way.
    traces_exporter: Literal["otlp", "zipkin", "none"] = Field(
        "otlp", validation_alias="COULISSE_TRACES_EXPORTER"
    )
    zipkin_endpoint: str = Field(
        "http://127.0.0.1:9411/api/v2/spans", validation_alias="COULISSE_ZIPKIN_ENDPOINT"
    )
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    # Which parts this process runs; separate deployments can scale each part on its own.
    roles: str = Field("api,relay,consumers,workers", validation_alias="COULISSE_ROLES")
    relay_batch_size: int = Field(500, validation_alias="COULISSE_RELAY_BATCH_SIZE")
    consumer_max_attempts: int = Field(3, validation_alias="COULISSE_CONSUMER_MAX_ATTEMPTS")
    consumer_batch_size: int = Field(500, validation_alias="COULISSE_CONSUMER_BATCH_SIZE")
    # The Kafka consumer group, which is also the inbox's consumer name; the service's name
    # unless set (a test or a blue/green deployment may read the topics under another group).
    consumer_group: str | None = Field(None, validation_alias="COULISSE_CONSUMER_GROUP")
    max_body_bytes: int = Field(1_000_000, validation_alias="COULISSE_MAX_BODY_BYTES")
    # Where a consumer asks for customers' personal-data keys (`coulisse.platform.personal_data`),
    # and the token it shows there (scope customers:keys); local and test runs mint one instead.
    customer_url: str = Field("http://127.0.0.1:8001", validation_alias="COULISSE_CUSTOMER_URL")
    service_token: SecretStr | None = Field(None, validation_alias="COULISSE_SERVICE_TOKEN")
    service_token_file: Path | None = Field(None, validation_alias="COULISSE_SERVICE_TOKEN_FILE")

    @field_validator(
        "jwks_url",
        "jwt_audience",
        "jwt_issuer",
        "otlp_endpoint",
        "database_url",
        "consumer_group",
        "service_token",
        "service_token_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty variable must not silently switch production back to the shared secret.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> ServiceSettings:
        if (
            self.env == "production"
            and self.jwks_url is None
            and self.jwt_secret == LOCAL_DEV_SECRET
        ):
            raise ValueError(
                "COULISSE_JWT_SECRET is the local development secret: set a real secret "
                "or COULISSE_JWKS_URL outside local mode"
            )
        if self.env == "production" and self.jwks_url is None and len(self.jwt_secret) < 32:
            raise ValueError("COULISSE_JWT_SECRET must be at least 32 characters in production")
        if self.env == "production" and (self.jwt_issuer is None or self.jwt_audience is None):
            # A token the provider issued for another application must not open this API.
            raise ValueError(
                "set COULISSE_JWT_ISSUER and COULISSE_JWT_AUDIENCE in production: tokens are "
                "checked for who issued them and for whom"
            )
        return self

    @property
    def allowed_origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def effective_database_url(self) -> str:
        """PostgreSQL when configured; an SQLite file is the embedded default for a quick run."""
        if self.database_url:
            return self.database_url
        path = CACHE_DIR / "run" / f"{self.service_name}.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"

    @property
    def inbox_consumer(self) -> str:
        """The consumer group this process reads with, and the name of its inbox rows."""
        return self.consumer_group or self.service_name

    def has_role(self, role: str) -> bool:
        return role in {r.strip() for r in self.roles.split(",")}
