"""Training data: the `TrainingData` container and FANN's ``.data`` text format.

FANN format: first line ``num_samples num_inputs num_outputs``; then, per sample, one line of
``num_inputs`` numbers followed by one line of ``num_outputs`` numbers (whitespace separated).
Blank lines are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from ._exceptions import ConfigError, DataFormatError, NonFiniteError, ShapeError

MAX_FILE_BYTES: Final[int] = 2_000_000_000


def _as_float_2d(name: str, value: Any, *, allow_1d: bool) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub":
        raise ShapeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 1 and allow_1d:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ShapeError(f"{name} must be 2-D (n_samples, n_columns), got shape {arr.shape}")
    dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64
    out = np.array(arr, dtype=dtype, order="C", copy=True)
    if not np.all(np.isfinite(out)):
        bad = np.argwhere(~np.isfinite(out))[0]
        raise NonFiniteError(f"{name}[{bad[0]}, {bad[1]}] is not finite ({out[tuple(bad)]})")
    out.flags.writeable = False
    return out


class TrainingData:
    """Immutable pair of float arrays ``inputs`` (n, n_in) and ``outputs`` (n, n_out).

    Arrays are copied once on construction (float32 stays float32, anything else becomes
    float64), checked for finiteness and made read-only.
    """

    __slots__ = ("inputs", "outputs")

    def __init__(self, inputs: Any, outputs: Any) -> None:
        x = _as_float_2d("inputs", inputs, allow_1d=False)
        y = _as_float_2d("outputs", outputs, allow_1d=True)
        if x.shape[0] != y.shape[0]:
            raise ShapeError(f"inputs has {x.shape[0]} samples but outputs has {y.shape[0]}")
        if x.shape[0] < 1:
            raise ShapeError("training data needs at least one sample")
        if x.shape[1] < 1 or y.shape[1] < 1:
            raise ShapeError(
                f"need at least one input and one output column, got {x.shape[1]}/{y.shape[1]}"
            )
        self.inputs: np.ndarray = x
        self.outputs: np.ndarray = y

    @property
    def n_samples(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def n_inputs(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def n_outputs(self) -> int:
        return int(self.outputs.shape[1])

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return f"TrainingData(n_samples={self.n_samples}, n_inputs={self.n_inputs}, n_outputs={self.n_outputs})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrainingData):
            return NotImplemented
        return np.array_equal(self.inputs, other.inputs) and np.array_equal(
            self.outputs, other.outputs
        )

    __hash__ = None  # type: ignore[assignment]

    def subset(self, idx: Sequence[int] | np.ndarray | slice) -> TrainingData:
        """The samples at ``idx`` (indices, boolean mask or slice), in that order."""
        if isinstance(idx, slice):
            return TrainingData(self.inputs[idx], self.outputs[idx])
        sel = np.asarray(idx)
        if sel.dtype == bool:
            if sel.shape != (self.n_samples,):
                raise ShapeError(
                    f"boolean mask must have shape ({self.n_samples},), got {sel.shape}"
                )
        elif sel.dtype.kind not in "iu" or sel.ndim != 1:
            raise ShapeError("subset index must be a 1-D integer array, boolean mask or slice")
        elif sel.size and (sel.min() < -self.n_samples or sel.max() >= self.n_samples):
            raise ShapeError(f"subset index out of range for {self.n_samples} samples")
        return TrainingData(self.inputs[sel], self.outputs[sel])

    def shuffled(self, seed: int | None = None) -> TrainingData:
        """A copy with the samples in a random order (``seed`` makes it reproducible)."""
        return self.subset(np.random.default_rng(seed).permutation(self.n_samples))

    def split(self, fraction: float, seed: int | None = None) -> tuple[TrainingData, TrainingData]:
        """``(first, rest)`` with ``round(fraction * n)`` samples in ``first``.

        With ``seed=None`` the file order is kept (FANN's ``fann_subset_train_data`` style);
        otherwise the samples are shuffled with ``seed`` first. Both parts must be non-empty.
        """
        if not (isinstance(fraction, (int, float)) and 0.0 < fraction < 1.0):
            raise ConfigError("fraction", f"must be in (0, 1), got {fraction!r}")
        k = round(fraction * self.n_samples)
        if k < 1 or k >= self.n_samples:
            raise ConfigError(
                "fraction", f"{fraction} of {self.n_samples} samples leaves an empty part"
            )
        order = (
            np.arange(self.n_samples)
            if seed is None
            else np.random.default_rng(seed).permutation(self.n_samples)
        )
        return self.subset(order[:k]), self.subset(order[k:])

    def astype(self, dtype: Any) -> TrainingData:
        """A copy with both arrays converted to ``dtype`` (float32 or float64)."""
        dt = np.dtype(dtype)
        if dt not in (np.float32, np.float64):
            raise ConfigError("dtype", f"must be float32 or float64, got {dt}")
        return TrainingData(self.inputs.astype(dt), self.outputs.astype(dt))


def _parse_header(line: str, path: str) -> tuple[int, int, int]:
    parts = line.split()
    if len(parts) != 3:
        raise DataFormatError(
            f"header: expected 3 integers 'num_samples num_inputs num_outputs', found {len(parts)} fields",
            path=path,
            line=1,
        )
    try:
        n, ni, no = (int(p) for p in parts)
    except ValueError:
        raise DataFormatError(
            "header: expected 3 integers 'num_samples num_inputs num_outputs'", path=path, line=1
        ) from None
    if n < 1 or ni < 1 or no < 1:
        raise DataFormatError(
            "header: expected 3 integers >= 1 'num_samples num_inputs num_outputs'",
            path=path,
            line=1,
        )
    return n, ni, no


def read_fann_data(path: str | Path, *, dtype: Any = np.float64) -> TrainingData:
    """Read a FANN ``.data`` file. Raises `DataFormatError` with the offending line number."""
    p = Path(path)
    name = str(p)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataFormatError(
            f"file is {size} bytes, more than the limit {MAX_FILE_BYTES}", path=name
        )
    text = p.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise DataFormatError(
            "empty file: expected a header 'num_samples num_inputs num_outputs'", path=name, line=1
        )
    n, ni, no = _parse_header(lines[0], name)
    body = [(i + 1, ln) for i, ln in enumerate(lines[1:], start=1) if ln.strip()]
    counts = [len(ln.split()) for _, ln in body]
    for idx in range(min(len(body), 2 * n)):
        want = ni if idx % 2 == 0 else no
        if counts[idx] != want:
            what = "inputs" if idx % 2 == 0 else "outputs"
            raise DataFormatError(
                f"sample {idx // 2 + 1}: expected {want} {what}, found {counts[idx]} values",
                path=name,
                line=body[idx][0],
            )
    if len(body) < 2 * n:
        missing = "inputs" if len(body) % 2 == 0 else "outputs"
        raise DataFormatError(
            f"file ends early: header promises {n} samples, found {len(body) // 2} "
            f"(sample {len(body) // 2 + 1} has no {missing} line)",
            path=name,
            line=len(lines),
        )
    if len(body) > 2 * n:
        raise DataFormatError(
            f"extra data after the {n} samples announced in the header",
            path=name,
            line=body[2 * n][0],
        )
    try:
        values = np.array(" ".join(ln for _, ln in body).split(), dtype=np.float64)
    except ValueError:
        for lineno, ln in body:
            for tok in ln.split():
                try:
                    float(tok)
                except ValueError:
                    raise DataFormatError(
                        "expected only numbers on this line", path=name, line=lineno
                    ) from None
        raise
    if not np.all(np.isfinite(values)):
        pos = int(np.argmax(~np.isfinite(values)))
        row, col = divmod(pos, ni + no)
        lineno = body[2 * row + (col >= ni)][0]
        raise DataFormatError(
            "expected finite numbers (no nan or inf)", path=name, line=lineno
        )
    table = values.reshape(n, ni + no).astype(dtype, copy=False)
    return TrainingData(table[:, :ni], table[:, ni:])


def _format_row(row: np.ndarray) -> str:
    return " ".join(repr(float(v)) if v != int(v) else str(int(v)) for v in row)


def write_fann_data(data: TrainingData, path: str | Path) -> None:
    """Write ``data`` in FANN's ``.data`` format; values round-trip exactly."""
    if not isinstance(data, TrainingData):
        raise ShapeError(f"data must be a TrainingData, got {type(data).__name__}")
    parts = [f"{data.n_samples} {data.n_inputs} {data.n_outputs}"]
    for x, y in zip(data.inputs, data.outputs, strict=True):
        parts.append(_format_row(x))
        parts.append(_format_row(y))
    Path(path).write_text("\n".join(parts) + "\n", encoding="utf-8")
