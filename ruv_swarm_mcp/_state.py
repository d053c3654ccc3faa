"""What every request handler reaches through the lifespan context."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ruv_swarm_mcp._config import ServerConfig
from ruv_swarm_mcp._engine import EngineHolder

if TYPE_CHECKING:
    from swarm_core import Engine


@dataclass
class AppState:
    config: ServerConfig
    engine: EngineHolder
    started_monotonic: float = field(default_factory=time.monotonic)
    # connection key -> (a ServerSession of that connection, its subscribed URIs)
    subscribers: dict[int, tuple[Any, set[str]]] = field(default_factory=dict)
    max_subscriptions_per_connection: int = 1000
    in_flight: int = 0
    # requests read from stdin / requests whose handler has started (the SDK transport spawns
    # handlers after the read, so at EOF the first may run ahead of the second)
    requests_read: int = 0
    requests_started: int = 0
    # Set when the server itself is stopping (SIGTERM, stdin EOF): a tool call cancelled then
    # leaves its task to the engine's close, which records it as `interrupted`, whereas a call
    # the client cancels also cancels its task.
    shutting_down: bool = False
    # Swarms benchmark_run creates and deletes again: never adopted as anyone's current swarm.
    scratch_swarms: set[str] = field(default_factory=set)
    # Tool/resource/prompt registration left for after the handshake (see build_app).
    pending_registration: Callable[[], None] | None = None

    def ensure_registered(self) -> None:
        register, self.pending_registration = self.pending_registration, None
        if register is not None:
            register()

    async def get_engine(self) -> Engine:
        return await self.engine.get()
