"""Server settings gathered from the command line and the environment, each limit explicit."""

from __future__ import annotations

import ipaddress
import math
import socket
from dataclasses import dataclass, field

from ruv_swarm_mcp._exceptions import ConfigError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def host_addresses(host: str) -> list[IpAddress]:
    """Every address ``host`` stands for: itself when it is an IP literal (brackets allowed),
    else what the resolver answers. Raises OSError when it cannot be resolved."""
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return [ipaddress.ip_address(name)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    # A scoped IPv6 address ("fe80::1%eth0") carries its zone after the percent sign.
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def all_loopback(addresses: list[IpAddress]) -> bool:
    """True only when there is at least one address and none leaves the host."""

    def loopback(a: IpAddress) -> bool:
        mapped = getattr(a, "ipv4_mapped", None)
        return a.is_loopback or (mapped is not None and mapped.is_loopback)

    return bool(addresses) and all(loopback(a) for a in addresses)


TRANSPORTS = ("stdio", "sse", "http")
STDIO_TRANSPORTS = ("auto", "native", "sdk")
PROFILES = ("default", "ruv-swarm")
# EngineConfig retention field -> the command-line option that sets it
RETENTION_OPTIONS = {
    "max_finished_tasks": "--keep-tasks",
    "task_retention_seconds": "--keep-task-seconds",
    "max_events": "--keep-events",
    "event_retention_seconds": "--keep-event-seconds",
}
RETENTION_COUNTS = ("max_finished_tasks", "max_events")
CLIENT_LOG_LEVELS = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)


@dataclass(frozen=True)
class EventStoreLimits:
    """How much the streamable-HTTP resumption buffer (``_event_store``) may hold; whichever
    bound is reached first evicts."""

    max_events_per_stream: int = 1_000
    max_events_total: int = 20_000
    # Sum of the stored messages' JSON text; one message larger than this is not kept at all.
    max_bytes_total: int = 16 * 1024 * 1024
    max_age_seconds: float = 300.0
    max_streams: int = 10_000

    def __post_init__(self) -> None:
        for name, low, high in (
            ("max_events_per_stream", 1, 1_000_000),
            ("max_events_total", 1, 10_000_000),
            ("max_bytes_total", 1024, 1 << 34),
            ("max_streams", 1, 10_000_000),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(
                    f"event store {name} must be an integer in {low}..{high}, got {value!r}"
                )
        age = self.max_age_seconds
        if isinstance(age, bool) or not isinstance(age, int | float) or not math.isfinite(age):
            raise ConfigError(f"event store max_age_seconds must be a number, got {age!r}")
        if not 0 < age <= 86_400:
            raise ConfigError(f"event store max_age_seconds must be in (0, 86400], got {age}")


@dataclass(frozen=True)
class ServerConfig:
    transport: str = "stdio"
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    db: str | None = None
    # SQLite durability: FULL survives an OS crash (fsync per group commit), NORMAL survives a
    # process crash only but commits without waiting for the disk.
    synchronous: str = "FULL"
    profile: str = "default"
    log_level: str = "WARNING"
    # Extra Host / Origin header values accepted on HTTP transports (DNS-rebinding protection).
    allowed_hosts: tuple[str, ...] = field(default_factory=tuple)
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    # Level of the tool-side log messages sent to a client that never called logging/setLevel.
    client_log_level: str = "info"
    # How long the longest tool call may block before answering with a task id instead.
    max_wait_seconds: float = 600.0
    # On stdin EOF, how long in-flight requests may still finish and be answered.
    drain_seconds: float = 1.5
    max_request_body_bytes: int = 4 * 1024 * 1024
    # One stdin line (one JSON-RPC message); above model_import's 64 MiB of content.
    max_stdio_message_bytes: int = 128 * 1024 * 1024
    # Which stdio streams serve: see ruv_swarm_mcp._serve (auto: native on POSIX pipes).
    stdio_transport: str = "auto"
    max_http_sessions: int = 1000
    session_idle_timeout_seconds: float = 1800.0
    # What streamable HTTP keeps for clients that resume a stream with Last-Event-ID.
    event_store: EventStoreLimits = field(default_factory=EventStoreLimits)
    # Compile the numba kernels of a default training in a niced child process once the engine
    # opens (swarm_core._jit_warmup). Off for servers built in code (tests, embedding); the
    # command line turns it on unless --no-jit-warmup or RUV_SWARM_JIT_WARMUP=0.
    jit_warmup: bool = False
    # Directories every session may read data files from (--data-root, RUV_SWARM_DATA_ROOTS);
    # a client's own roots add to them for its session only.
    data_roots: tuple[str, ...] = field(default_factory=tuple)
    # How long a file read waits for the client's answer to roots/list.
    roots_timeout_seconds: float = 10.0
    # EngineConfig retention settings given on the command line (the engine's defaults else):
    # task_retention_seconds, max_finished_tasks, event_retention_seconds, max_events
    retention: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"transport must be one of {TRANSPORTS}, got {self.transport!r}")
        if self.synchronous not in ("FULL", "NORMAL"):
            raise ConfigError(f"synchronous must be FULL or NORMAL, got {self.synchronous!r}")
        if self.profile not in PROFILES:
            raise ConfigError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be in 1..65535, got {self.port}")
        if self.client_log_level not in CLIENT_LOG_LEVELS:
            raise ConfigError(
                f"client_log_level must be one of {CLIENT_LOG_LEVELS}, got {self.client_log_level!r}"
            )
        if not 0 < self.max_wait_seconds <= 86_400:
            raise ConfigError(
                f"max_wait_seconds must be in (0, 86400], got {self.max_wait_seconds}"
            )
        if not 0 <= self.drain_seconds <= 60:
            raise ConfigError(f"drain_seconds must be in [0, 60], got {self.drain_seconds}")
        if not 1024 <= self.max_request_body_bytes <= 1 << 30:
            raise ConfigError(
                f"max_request_body_bytes must be in [1024, 1 GiB], got {self.max_request_body_bytes}"
            )
        if not 1024 <= self.max_stdio_message_bytes <= 1 << 31:
            raise ConfigError(
                "max_stdio_message_bytes must be in [1024, 2 GiB], got "
                f"{self.max_stdio_message_bytes}"
            )
        if self.stdio_transport not in STDIO_TRANSPORTS:
            raise ConfigError(
                f"stdio_transport must be one of {', '.join(STDIO_TRANSPORTS)}, "
                f"got {self.stdio_transport!r}"
            )
        if not 1 <= self.max_http_sessions <= 1_000_000:
            raise ConfigError(
                f"max_http_sessions must be in 1..1000000, got {self.max_http_sessions}"
            )
        if any(not r.strip() for r in self.data_roots):
            raise ConfigError("data roots must be non-empty paths")
        if not 0 < self.roots_timeout_seconds <= 600:
            raise ConfigError(
                f"roots_timeout_seconds must be in (0, 600], got {self.roots_timeout_seconds}"
            )
        if self.transport != "stdio":
            # The token rule and the allowed origins follow from where the server really
            # listens: a name counts as loopback only if everything it resolves to is loopback
            # (`127.attacker.invalid` is not, whatever its prefix).
            try:
                addresses = host_addresses(self.host)
            except (OSError, UnicodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
                raise ConfigError(f"--host {self.host!r} cannot be resolved: {reason}") from None
            object.__setattr__(self, "_loopback", all_loopback(addresses))
        for name, value in self.retention.items():
            counts = name in RETENTION_COUNTS
            if name not in RETENTION_OPTIONS:
                raise ConfigError(f"unknown retention setting {name!r}")
            if (
                isinstance(value, bool)
                or not isinstance(value, int if counts else int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                kind = "integer" if counts else "number of seconds"
                raise ConfigError(
                    f"{RETENTION_OPTIONS[name]} ({name}) must be a positive {kind}, got {value!r}"
                )
        if self.token is not None and len(self.token) < 16:
            raise ConfigError("token must be at least 16 characters long")
        if self.transport != "stdio" and not self.is_loopback and not self.token:
            raise ConfigError(
                f"binding {self.host} needs a bearer token: pass --token or set RUV_SWARM_TOKEN"
            )

    @property
    def is_loopback(self) -> bool:
        """Whether every address the host resolves to is a loopback address."""
        known: bool | None = self.__dict__.get("_loopback")
        if known is None:
            try:
                known = all_loopback(host_addresses(self.host))
            except (OSError, UnicodeError):
                known = False
            object.__setattr__(self, "_loopback", known)
        return known
