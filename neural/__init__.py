"""neural: numba-compiled feed-forward networks (FANN's algorithms, faster).

Depends on numpy and numba only and imports nothing else of this project. Kernels are compiled
lazily on first use; importing this package compiles nothing.
"""

from ._activations import ACTIVATIONS
from ._cascade import cascade_train
from ._cascade_config import CascadeConfig
from ._data import TrainingData, read_fann_data, write_fann_data
from ._evaluate import Evaluation, evaluate
from ._exceptions import (
    ConfigError,
    DataFormatError,
    LimitError,
    NetworkFormatError,
    NeuralError,
    NonFiniteError,
    NotTrainedError,
    ShapeError,
)
from ._network import Network
from ._scaling import Scaler
from ._train import train
from ._train_config import EpochReport, TrainConfig, TrainHistory
from ._train_state import TrainState

__all__ = [
    "ACTIVATIONS",
    "CascadeConfig",
    "ConfigError",
    "DataFormatError",
    "EpochReport",
    "Evaluation",
    "LimitError",
    "Network",
    "NetworkFormatError",
    "NeuralError",
    "NonFiniteError",
    "NotTrainedError",
    "Scaler",
    "ShapeError",
    "TrainConfig",
    "TrainHistory",
    "TrainState",
    "TrainingData",
    "cascade_train",
    "evaluate",
    "read_fann_data",
    "train",
    "write_fann_data",
]
