"""neural: numba-compiled feed-forward networks (FANN's algorithms, faster).

Depends on numpy and numba only and imports nothing else of this project. Kernels are compiled
lazily on first use; importing this package compiles nothing.
"""

from ._activations import ACTIVATIONS
from ._cascade import cascade_train
from ._cascade_config import CascadeConfig
from ._exceptions import (
    ConfigError,
    DataFormatError,
    NetworkFormatError,
    NeuralError,
    NonFiniteError,
    NotTrainedError,
    ShapeError,
)
from ._network import Network

__all__ = [
    "ACTIVATIONS",
    "CascadeConfig",
    "ConfigError",
    "DataFormatError",
    "Network",
    "NetworkFormatError",
    "NeuralError",
    "NonFiniteError",
    "NotTrainedError",
    "ShapeError",
    "cascade_train",
]
