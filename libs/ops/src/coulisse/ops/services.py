"""The services of the system: the one table to extend when a service is added."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str
    """As the design names it: `COULISSE_SERVICE`, the consumer group, the log file."""
    package: str
    """`coulisse.<package>`; also names its PostgreSQL role and database `coulisse_<package>`."""
    port: int

    @property
    def module(self) -> str:
        return f"coulisse.{self.package}"

    @property
    def database(self) -> str:
        return f"coulisse_{self.package}"

    @property
    def relay_program(self) -> str:
        """The supervised program that runs only the service's outbox relay (see `Stack`)."""
        return f"{self.name}-relay"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def implemented(self) -> bool:
        """Whether `python -m coulisse.<package>` exists in this checkout."""
        try:
            return importlib.util.find_spec(f"{self.module}.__main__") is not None
        except ModuleNotFoundError:
            return False


SERVICES: tuple[Service, ...] = (
    Service("customer", "customer", 8001),
    Service("billing", "billing", 8002),
    Service("collections", "collections", 8003),
    Service("accounting-gateway", "accounting_gateway", 8004),
    Service("reporting", "reporting", 8005),
)


def by_name(name: str) -> Service:
    for service in SERVICES:
        if name in (service.name, service.package):
            return service
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in SERVICES)}")
