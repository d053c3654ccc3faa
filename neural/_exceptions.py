"""Errors raised by `neural`.

Hierarchy::

    NeuralError (ValueError)        base of everything raised on purpose by this package
    ├── ShapeError                  an array or layer list has the wrong shape or size
    ├── NonFiniteError              NaN or infinity where finite numbers are required
    ├── DataFormatError             a FANN ``.data`` file is malformed (carries line number)
    ├── ConfigError                 a training/network setting is outside its allowed range
    ├── NetworkFormatError          a saved network (native or FANN ``.net``) cannot be read
    ├── LimitError                  a file declares more than the caller's limit allows (found
    │                               before anything that size is allocated)
    └── NotTrainedError             an operation needs state that does not exist yet
                                    (e.g. a `Scaler` used before `fit`)

``NeuralError`` derives from ``ValueError`` because every one of these is a bad value handed in
by the caller; catching ``ValueError`` keeps working for code that does not know this package.
"""

from __future__ import annotations


class NeuralError(ValueError):
    """Base class of every error this package raises on purpose."""


class ShapeError(NeuralError):
    """An array, sample or layer specification has the wrong shape or size."""


class NonFiniteError(NeuralError):
    """An input contains NaN or infinity where only finite values are allowed."""


class DataFormatError(NeuralError):
    """A training-data file is malformed.

    ``line`` is the 1-based line number where the problem was found (``None`` when the problem
    is the file as a whole, e.g. it ends early).
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line


class ConfigError(NeuralError):
    """A configuration field is outside its allowed range; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NetworkFormatError(NeuralError):
    """A serialized network (native bytes/.npz or FANN .net) is malformed or unsupported."""


class LimitError(NeuralError):
    """A file declares a size beyond a limit the caller passed in.

    ``what`` names the bounded quantity (``"samples"``, ``"features"``, ``"values"``,
    ``"bytes"``, ``"weights"``, ...), ``value`` is what the file needs (a lower bound when the
    reader stopped early) and ``limit`` the caller's limit, so the caller can name its own
    setting.
    """

    def __init__(self, what: str, value: int, limit: int, message: str) -> None:
        super().__init__(message)
        self.what = what
        self.value = value
        self.limit = limit


class NotTrainedError(NeuralError):
    """An object was used before the state it needs exists (e.g. an unfitted `Scaler`)."""
