"""Every limit and default a caller meets, stated once.

The engine checks against these (configurable ones through EngineConfig, whose defaults are the
values here) and the MCP edge builds its tools' inputSchema from them, so both doors accept the
same input and train the same network from it. Standard library only: the MCP server imports
this before its handshake (see swarm_core/__init__'s lazy exports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Bound:
    """A numeric range, closed unless ``lo_open`` (a step size must be > 0, not >= 0)."""

    lo: int | float
    hi: int | float
    lo_open: bool = False

    def field(self) -> dict[str, int | float]:
        """The range as pydantic Field keywords (ge/gt, le)."""
        return {("gt" if self.lo_open else "ge"): self.lo, "le": self.hi}

    def text(self) -> str:
        return f"{'(' if self.lo_open else '['}{self.lo}, {self.hi}]"


INT64_MAX: Final = 2**63 - 1

# -- identifiers and names ----------------------------------------------------------------------
# generated ids are 28 characters (`model-` + 22); the slack covers other prefixes
ID_MAX_LENGTH: Final = 64
MAX_NAME_LENGTH: Final = 200  # EngineConfig.max_name_length: swarm, agent, model, title
MAX_CAPABILITIES: Final = 64
MAX_CAPABILITY_LENGTH: Final = 100
MAX_AGENTS_DEFAULT: Final = 100  # EngineConfig.max_agents_default
MAX_AGENTS_LIMIT: Final = 10_000  # EngineConfig.max_agents_limit

# -- tasks -------------------------------------------------------------------------------------
MAX_PRIORITY: Final = 1_000_000  # priorities are -MAX_PRIORITY..MAX_PRIORITY
MAX_QUERY_LIMIT: Final = 10_000  # EngineConfig.max_query_limit: one page of a listing
# one page of a listing in a tool answer (the MCP edge): a JSON message, not a Python list
MAX_PAGE_LIMIT: Final = 1_000
MAX_OFFSET: Final = 10_000_000
MAX_EVENT_ID: Final = INT64_MAX  # event ids are SQLite INTEGERs
MAX_EVENT_KIND_LENGTH: Final = 64
# a running task's progress stays below this until its result is stored
RUNNING_PROGRESS_CAP: Final = 0.99

# -- memory and knowledge ----------------------------------------------------------------------
MAX_KEY_LENGTH: Final = 512  # EngineConfig.max_key_length: memory namespaces and keys
MAX_MEMORY_VALUE_BYTES: Final = 1024 * 1024  # EngineConfig.max_memory_value_bytes
MAX_TTL_SECONDS: Final = 10 * 365 * 24 * 3600.0
TTL_SECONDS: Final = Bound(0, int(MAX_TTL_SECONDS), lo_open=True)
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024  # EngineConfig.max_document_bytes
MAX_QUERY_CHARS: Final = 4_000
MAX_SEARCH_LIMIT: Final = 1_000

# -- training ----------------------------------------------------------------------------------
ALGORITHMS: Final = ("rprop", "quickprop", "batch", "incremental", "sarprop", "cascade")
DEFAULT_ALGORITHM: Final = "rprop"
# neural's activations that can be trained through (its threshold ones have no derivative);
# tests/swarm_core/test_limits.py keeps this in step with neural.ACTIVATIONS
ACTIVATIONS: Final = (
    "sigmoid",
    "sigmoid_symmetric",
    "sigmoid_stepwise",
    "sigmoid_symmetric_stepwise",
    "linear",
    "linear_piece",
    "linear_piece_symmetric",
    "gaussian",
    "gaussian_symmetric",
    "elliot",
    "elliot_symmetric",
    "sin",
    "sin_symmetric",
    "cos",
    "cos_symmetric",
    "relu",
    "leaky_relu",
)
DEFAULT_HIDDEN_ACTIVATION: Final = "sigmoid_symmetric"
DEFAULT_OUTPUT_ACTIVATION: Final = "sigmoid"
MAX_HIDDEN_LAYERS: Final = 16
# a layer's width; the network as a whole is bounded by EngineConfig.max_network_weights
LAYER_SIZE: Final = Bound(1, 100_000)
DEFAULT_LAYERS: Final = (16,)
DEFAULT_EPOCHS: Final = 500
DEFAULT_CASCADE_EPOCHS: Final = 10  # cascade: epochs bounds the hidden units added
MAX_EPOCHS: Final = 100_000  # EngineConfig.max_epochs
# MSE in the network's units: outputs are in [0, 1] or [-1, 1] unless the output is linear
DESIRED_ERROR: Final = Bound(0, 1)
DEFAULT_DESIRED_ERROR: Final = 0.001
LEARNING_RATE: Final = Bound(0, 100, lo_open=True)
VALIDATION_SPLIT: Final = Bound(0, 0.9)
SEED: Final = Bound(0, INT64_MAX)
MAX_TRAIN_SECONDS: Final = 3_600.0  # EngineConfig.max_train_seconds
MAX_TRAIN_SECONDS_CEILING: Final = 86_400.0  # the most max_train_seconds may be configured to
SCALE_MODES: Final = ("auto", "none", "inputs", "outputs", "both")
DEFAULT_SCALE: Final = "auto"
MISSING_MODES: Final = ("impute", "drop")
TABULAR_TASKS: Final = ("auto", "classification", "regression")
TABLE_FORMATS: Final = ("csv", "tsv", "jsonl", "npy", "npz", "parquet")
MODEL_FORMATS: Final = ("native", "fann")


def default_epochs(algorithm: str) -> int:
    return DEFAULT_CASCADE_EPOCHS if algorithm == "cascade" else DEFAULT_EPOCHS
