"""Pin `neural`'s public surface (other teams call exactly these names)."""

from __future__ import annotations

import neural

EXPECTED = {
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
}


def test_all_is_pinned() -> None:
    assert set(neural.__all__) == EXPECTED
    assert len(neural.__all__) == len(set(neural.__all__))


def test_every_name_resolves() -> None:
    assert [n for n in neural.__all__ if not hasattr(neural, n)] == []


def test_activation_names_follow_fann_numbering() -> None:
    # ids 0..17 are libfann 2.2's enum fann_activationfunc_enum, so .net files map one to one
    assert neural.ACTIVATIONS[:5] == (
        "linear",
        "threshold",
        "threshold_symmetric",
        "sigmoid",
        "sigmoid_stepwise",
    )
    assert neural.ACTIVATIONS.index("gaussian_stepwise") == 9
    assert neural.ACTIVATIONS.index("cos") == 17
    assert neural.ACTIVATIONS[18:] == ("relu", "leaky_relu")


def test_exception_hierarchy() -> None:
    for name in (
        "ShapeError",
        "NonFiniteError",
        "DataFormatError",
        "ConfigError",
        "NetworkFormatError",
        "NotTrainedError",
        "LimitError",
    ):
        assert issubclass(getattr(neural, name), neural.NeuralError)
    assert issubclass(neural.NeuralError, ValueError)
