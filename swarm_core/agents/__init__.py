"""Agent kinds: the in-process work each agent type does, registered per (AgentType, TaskKind)."""

from __future__ import annotations

__all__: list[str] = []
