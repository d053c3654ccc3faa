"""neural: numba-compiled feed-forward networks (FANN's algorithms, faster).

Depends on numpy and numba only and imports nothing else of this project. Kernels are compiled
lazily on first use; importing this package compiles nothing.
"""

from ._activations import ACTIVATIONS
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
    "ConfigError",
    "DataFormatError",
    "Network",
    "NetworkFormatError",
    "NeuralError",
    "NonFiniteError",
    "NotTrainedError",
    "ShapeError",
]
