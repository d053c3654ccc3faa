"""Errors raised by the MCP layer itself.

Hierarchy::

    RuvSwarmMcpError           base of everything raised here
    ├── ConfigError            a bad command-line / environment setting (also a ValueError)
    └── EngineUnavailableError the swarm engine could not be opened or is shutting down

Failures inside a tool call never escape as these: tools turn them (and every swarm_core error)
into ``ToolError`` so the client gets an ``isError`` result naming the field and the limit.
"""

from __future__ import annotations


class RuvSwarmMcpError(Exception):
    """Base class for errors raised by ruv_swarm_mcp."""


class ConfigError(RuvSwarmMcpError, ValueError):
    """A server setting is out of range or inconsistent."""


class EngineUnavailableError(RuvSwarmMcpError):
    """The engine failed to open, or the server is shutting down."""
