"""Server settings gathered from the command line and the environment."""

from __future__ import annotations

from dataclasses import dataclass

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class ServerConfig:
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    db: str | None = None
    profile: str = "default"
    log_level: str = "WARNING"

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
