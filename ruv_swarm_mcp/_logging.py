"""Logging setup: everything goes to stderr, because in stdio mode stdout is the JSON-RPC channel."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "ruv_swarm_mcp"


def configure_logging(level: str = "WARNING") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
