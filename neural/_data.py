"""Training data: the `TrainingData` container and FANN's ``.data`` text format.

FANN format: first line ``num_samples num_inputs num_outputs``; then, per sample, one line of
``num_inputs`` numbers followed by one line of ``num_outputs`` numbers (whitespace separated).
Blank lines are ignored.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from ._exceptions import ConfigError, DataFormatError, LimitError, NonFiniteError, ShapeError

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

    @classmethod
    def _adopt(cls, inputs: np.ndarray, outputs: np.ndarray) -> TrainingData:
        """Wrap arrays a reader just filled and checked (2-D, C order, float, finite, at least
        one sample) without the copy ``__init__`` makes."""
        self = cls.__new__(cls)
        inputs.flags.writeable = False
        outputs.flags.writeable = False
        self.inputs = inputs
        self.outputs = outputs
        return self

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


# Bytes a file may spend per value and per line beyond it (digits, sign, exponent, separators,
# "\r\n", indentation, blank lines): libfann writes "%.20e " (27 bytes), `write_fann_data` fewer.
# A file larger than its header's counts allow at this rate is refused before it is read.
BYTES_PER_VALUE: Final[int] = 48
BYTES_PER_LINE: Final[int] = 64
HEADER_MAX_BYTES: Final[int] = 1024
# read in blocks this large; each block is parsed into the final arrays before the next is read
BLOCK_BYTES: Final[int] = 1 << 20
_HEADER_WANT = "expected 3 integers (num_samples num_inputs num_outputs)"
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True  # what bytes.split() and numpy's parser split on


def fann_data_max_bytes(n_samples: int, n_inputs: int, n_outputs: int) -> int:
    """The largest ``.data`` file that ``n_samples`` samples of these widths can need."""
    return (
        HEADER_MAX_BYTES
        + n_samples * (n_inputs + n_outputs) * BYTES_PER_VALUE
        + 2 * n_samples * BYTES_PER_LINE
    )


def _refuse(what: str, value: int, limit: int | None, message: str) -> None:
    if limit is not None and value > limit:
        raise LimitError(what, value, limit, message)


def _parse_header(line: bytes, path: str) -> tuple[int, int, int]:
    parts = line.split()
    if len(parts) != 3:
        raise DataFormatError(
            f"header: {_HEADER_WANT}, found {len(parts)} fields", path=path, line=1
        )
    try:
        n, ni, no = (int(p) for p in parts)
    except ValueError:
        raise DataFormatError(f"header: {_HEADER_WANT}", path=path, line=1) from None
    if n < 1 or ni < 1 or no < 1:
        raise DataFormatError(
            f"header: counts must be >= 1, found {n} {ni} {no}", path=path, line=1
        )
    return n, ni, no


class _Reader:
    """Parses the body of a ``.data`` file block by block straight into the final arrays.

    A block is consumed up to its last complete sample (an outputs line); an inputs line still
    waiting for its outputs line is carried into the next block together with the unfinished
    last line, and the blank lines between them are dropped (only counted), so the carry stays
    within two lines however the file is laid out. Every line's value count is checked
    (vectorised) before its numbers are parsed, so errors name the line.
    """

    def __init__(self, path: str, n: int, ni: int, no: int, dtype: np.dtype[Any]) -> None:
        self.path, self.n, self.ni, self.no = path, n, ni, no
        self.inputs = np.empty((n, ni), dtype=dtype)
        self.outputs = np.empty((n, no), dtype=dtype)
        self.rows = 0  # samples stored so far
        self.base = 1  # line number before the buffer's first line (the header is line 1)
        self.gap = 0  # blank lines dropped between the buffer's first and second line
        self.seen = 1  # number of the last complete line read so far
        self.max_line = max(ni, no) * BYTES_PER_VALUE + BYTES_PER_LINE

    def _lineno(self, i: int) -> int:
        """The file's line number of the buffer's line ``i`` (0-based)."""
        return self.base + i + 1 + (self.gap if i >= 1 else 0)

    def feed(self, buf: bytes, final: bool) -> bytes:
        """Consume the complete samples in ``buf``; return the bytes to carry into the next."""
        if final and buf and not buf.endswith(b"\n"):
            buf += b"\n"
        a = np.frombuffer(buf, dtype=np.uint8)
        ends = np.flatnonzero(a == 10)
        tail = a.size - 1 - int(ends[-1]) if ends.size else a.size
        if tail > self.max_line:
            raise DataFormatError(
                f"line longer than {self.max_line} bytes, more than a line of "
                f"{max(self.ni, self.no)} values can need",
                path=self.path,
                line=self._lineno(int(ends.size)),
            )
        if ends.size == 0:
            return buf
        self.seen = max(self.seen, self._lineno(int(ends.size) - 1))
        ws = _WHITESPACE[a[: int(ends[-1]) + 1]]
        starts = ~ws
        starts[1:] &= ws[:-1]
        # values per line: the line each token starts on, counted
        per_line = np.bincount(np.searchsorted(ends, np.flatnonzero(starts)), minlength=ends.size)
        filled = np.flatnonzero(per_line)
        left = 2 * (self.n - self.rows)
        if filled.size > left:
            raise DataFormatError(
                f"extra data after the {self.n} samples announced in the header",
                path=self.path,
                line=self._lineno(int(filled[left])),
            )
        counts = per_line[filled]
        want = np.where(np.arange(filled.size) % 2 == 0, self.ni, self.no)
        bad = np.flatnonzero(counts != want)
        if bad.size:
            i = int(bad[0])
            what = "inputs" if i % 2 == 0 else "outputs"
            raise DataFormatError(
                f"sample {self.rows + i // 2 + 1}: expected {int(want[i])} {what}, "
                f"found {int(counts[i])} values",
                path=self.path,
                line=self._lineno(int(filled[i])),
            )
        keep = filled.size - filled.size % 2  # lines of whole samples
        if keep < filled.size and final:
            raise DataFormatError(
                f"file ends early: header promises {self.n} samples, found "
                f"{self.rows + keep // 2} (sample {self.rows + keep // 2 + 1} has no outputs line)",
                path=self.path,
                line=self.seen,
            )
        if keep:
            self._store(buf[: int(ends[filled[keep - 1]]) + 1], filled[:keep], keep // 2)
        rest = buf[int(ends[-1]) + 1 :]
        if keep < filled.size:  # carry the waiting inputs line, drop the blank lines after it
            j = int(filled[keep])
            lo = int(ends[j - 1]) + 1 if j else 0
            line_j = self._lineno(j)
            self.base, self.gap = line_j - 1, self.seen - line_j
            return buf[lo : int(ends[j]) + 1] + rest
        self.base, self.gap = self.seen, 0
        return rest

    def _store(self, text: bytes, filled: np.ndarray, m: int) -> None:
        width = self.ni + self.no
        try:
            values = np.fromstring(text, dtype=np.float64, sep=" ")  # type: ignore[call-overload]
        except ValueError:
            values = None
        if values is None or values.size != m * width:
            self._locate_bad_number(text)
        table = values.reshape(m, width)  # type: ignore[union-attr]
        finite = np.isfinite(table)
        if not finite.all():
            pos = int(np.argmax(~finite.reshape(-1)))
            row, col = divmod(pos, width)
            line = self._lineno(int(filled[2 * row + (col >= self.ni)]))
            raise DataFormatError("expected a finite number", path=self.path, line=line)
        self.inputs[self.rows : self.rows + m] = table[:, : self.ni]
        self.outputs[self.rows : self.rows + m] = table[:, self.ni :]
        self.rows += m

    def _locate_bad_number(self, text: bytes) -> None:
        # rare path: find the first token numpy could not read, line by line
        for i, ln in enumerate(text.split(b"\n")):
            for tok in ln.split():
                try:
                    float(tok)
                except ValueError:
                    raise DataFormatError(
                        "expected a number", path=self.path, line=self._lineno(i)
                    ) from None
        raise DataFormatError(  # numpy and float() disagree on a token: name the block
            "expected numbers", path=self.path, line=self._lineno(0)
        )


def read_fann_data(
    path: str | Path,
    *,
    dtype: Any = np.float64,
    max_samples: int | None = None,
    max_features: int | None = None,
    max_values: int | None = None,
    max_bytes: int | None = None,
) -> TrainingData:
    """Read a FANN ``.data`` file. Raises `DataFormatError` with the offending line number.

    The limits bound what the file may declare: ``max_samples`` samples, ``max_features``
    values per inputs or outputs line and ``max_values`` values in all (samples x (inputs +
    outputs)); ``max_bytes`` (default `MAX_FILE_BYTES`) the file size. The file size is also
    checked against what the limits, and then the header's counts, can need at
    `BYTES_PER_VALUE` bytes per value. All of these are checked from ``stat`` and the header,
    before anything of the body is read; `LimitError` names the quantity. The body is parsed
    block by block into the final arrays, so memory stays near the arrays' own size. Error
    messages give line numbers and what was expected, never the file's text.
    """
    p = Path(path)
    name = str(p)
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ConfigError("dtype", f"must be float32 or float64, got {dt}")
    cap = MAX_FILE_BYTES if max_bytes is None else max_bytes
    if max_samples is not None and (max_features is not None or max_values is not None):
        # the largest file the limits could need: every sample at its widest
        width = 2 * max_features if max_features is not None else max_values
        cells = max_samples * width  # type: ignore[operator]
        if max_values is not None:
            cells = min(cells, max_values)
        cap = min(
            cap, HEADER_MAX_BYTES + cells * BYTES_PER_VALUE + 2 * max_samples * BYTES_PER_LINE
        )
    with p.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        _refuse(
            "bytes", size, cap,
            f"file is {size} bytes, more than the {cap} bytes a dataset within the limits needs",
        )  # fmt: skip
        first = f.readline(HEADER_MAX_BYTES)
        if not first.strip():
            raise DataFormatError(f"empty first line: {_HEADER_WANT}", path=name, line=1)
        if not first.endswith(b"\n") and len(first) == HEADER_MAX_BYTES:
            raise DataFormatError(
                f"header longer than {HEADER_MAX_BYTES} bytes: {_HEADER_WANT}", path=name, line=1
            )
        n, ni, no = _parse_header(first, name)
        _refuse(
            "samples", n, max_samples,
            f"header declares {n} samples; the limit is {max_samples}",
        )  # fmt: skip
        _refuse(
            "features", max(ni, no), max_features,
            f"header declares {ni} inputs and {no} outputs per sample; the limit is {max_features}",
        )  # fmt: skip
        total = n * (ni + no)
        _refuse(
            "values", total, max_values,
            f"header declares {n} x ({ni} + {no}) = {total} values; the limit is {max_values}",
        )  # fmt: skip
        need = fann_data_max_bytes(n, ni, no)
        if size > need:
            raise LimitError(
                "bytes", size, need,
                f"file is {size} bytes, more than {n} samples of {ni} + {no} values can need "
                f"({need} bytes at {BYTES_PER_VALUE} bytes per value)",
            )  # fmt: skip
        reader = _Reader(name, n, ni, no, dt)
        carry = b""
        while True:
            block = f.read(BLOCK_BYTES)
            final = not block
            carry = reader.feed(carry + block, final)
            if final:
                break
    if reader.rows < n:
        raise DataFormatError(
            f"file ends early: header promises {n} samples, found {reader.rows} "
            f"(sample {reader.rows + 1} has no inputs line)",
            path=name,
            line=reader.seen,
        )
    return TrainingData._adopt(reader.inputs, reader.outputs)


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
