"""The feed-forward network: a few flat arrays plus a per-layer layout table.

Representation (what every kernel, the cascade code and the file formats rely on)
-------------------------------------------------------------------------------

Units. Every value a network computes lives in a *unit*, numbered globally::

    unit 0                       bias, constant 1.0
    units 1 .. n_in              the inputs
    then, layer by layer,        the neurons of hidden layer 1, hidden layer 2, ..., outputs

so ``n_units = 1 + n_in + n_hidden + n_out`` and the outputs are the last ``n_out`` units
(``Network._output_start``). A network has ``L = len(layer_sizes) - 1`` *non-input layers*.

Per-unit arrays (length ``n_units``): ``act_id`` (int32, FANN activation id, see
`neural.ACTIVATIONS`; 0 for bias and inputs) and ``steepness`` (network dtype; 0 for bias and
inputs).

Weights. ``weights`` is one flat, C-contiguous array of the network dtype (float32 by default,
float64 allowed). Non-input layer ``l`` (0-based, ``0 .. L-1``) owns a row-major block of shape
``(1 + n_src, n_l)`` starting at ``layout[l, 4]``::

    block[0, j]      = weight from the bias to neuron j of the layer
    block[1 + k, j]  = weight from unit (src_lo + k) to neuron j,   k = 0 .. n_src-1

i.e. rows are *sources*, columns are the layer's neurons (the transpose of FANN's per-neuron
order: one source's weights to a whole layer are contiguous, which the sparse first-layer
kernels and the cascade code read as rows). The sources of a layer are the contiguous unit
range ``[src_lo, src_hi)``:

* standard (layered) network: the previous layer only (inputs for the first layer);
* shortcut network (FANN's ``create_shortcut``): every input and every neuron of every earlier
  layer, i.e. ``src_lo = 1`` and ``src_hi`` = first unit of the layer.

``layout`` is an int64 array of shape ``(L, 5)``; row ``l`` holds
``(first unit, n_l, src_lo, src_hi, weight offset)``. ``n_connections == weights.size`` and
equals FANN's total connection count (bias connections included).

Forward pass (FANN's ``fann_run``): ``net = block[0, j] + sum_k U[src_lo + k] * block[1 + k, j]``;
``z = clip(steepness * net, ±150 / steepness)``; ``y = activation(z)``. ``z`` is what FANN
calls the neuron's *sum* and what `Network._activations` returns as sums.

Cascade-Correlation support (shortcut networks only): `Network._add_hidden_neuron` inserts a new
one-neuron layer just before the output layer. Its ``in_weights`` are ordered like every block:
``[bias, inputs 1..n_in, hidden units in unit order]`` (length ``1 + n_in + n_hidden``); its
``out_weights`` (one per output) become the new last source row of the output block. The new
neuron becomes unit ``1 + n_in + n_hidden_before``; output units shift up by one.

Mapping to FANN: FANN orders a neuron's connections as [previous-layer neurons, bias] for layered
networks and [inputs, bias, earlier neurons] for shortcut ones; `neural._fann_io` converts.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from ._activations import ACTIVATIONS, SYMMETRIC, activation_id
from ._exceptions import ConfigError, NonFiniteError, ShapeError
from ._forward_kernels import _all_units

if TYPE_CHECKING:
    from ._scaling import Scaler

SUPPORTED_DTYPES: Final[tuple[type[np.floating[Any]], ...]] = (np.float32, np.float64)
MAX_LAYER_SIZE: Final[int] = 1_000_000
MAX_WEIGHTS: Final[int] = 200_000_000
INITS: Final[tuple[str, ...]] = ("uniform", "widrow_nguyen", "fann")


def _check_dtype(dtype: Any) -> np.dtype[Any]:
    dt = np.dtype(dtype)
    if dt not in [np.dtype(d) for d in SUPPORTED_DTYPES]:
        raise ConfigError("dtype", f"must be float32 or float64, got {dt}")
    return dt


def _check_sizes(layers: Sequence[int]) -> tuple[int, ...]:
    try:
        sizes = tuple(int(n) for n in layers)
    except (TypeError, ValueError):
        raise ShapeError(f"layers must be a sequence of integers, got {layers!r}") from None
    if len(sizes) < 2:
        raise ShapeError(f"layers needs at least an input and an output size, got {list(sizes)}")
    for i, (given, n) in enumerate(zip(layers, sizes, strict=True)):
        if n != given or n < 1 or n > MAX_LAYER_SIZE:
            raise ShapeError(
                f"layers[{i}] must be an integer in [1, {MAX_LAYER_SIZE}], got {given!r}"
            )
    return sizes


def count_weights(layers: Sequence[int], shortcut: bool = False) -> int:
    """Connections of a network with these layer sizes, computed without building anything.

    Every layer's neurons see a bias plus the previous layer (layered) or every earlier unit
    (shortcut). Sizes are checked like `Network.standard` does (`ShapeError`).
    """
    sizes = np.asarray(_check_sizes(layers), dtype=np.float64)
    # float64 first: an absurd list (millions of layers) must not overflow int64 on the way
    prev = np.cumsum(sizes)[:-1] if shortcut else sizes[:-1]
    approx = float(np.sum((1.0 + prev) * sizes[1:]))
    if approx > 2.0**62:
        return int(approx)
    ints = np.asarray(sizes, dtype=np.int64)
    prev_i = np.cumsum(ints)[:-1] if shortcut else ints[:-1]
    return int(np.sum((1 + prev_i) * ints[1:]))


def build_layout(sizes: Sequence[int], shortcut: bool) -> tuple[np.ndarray, int, int]:
    """Return ``(layout, n_units, n_weights)`` for layer sizes (see the module docstring)."""
    n_layers = len(sizes) - 1
    layout = np.zeros((n_layers, 5), dtype=np.int64)
    unit = 1 + sizes[0]
    prev_lo = 1
    w = 0
    for li in range(n_layers):
        n = sizes[li + 1]
        lo = 1 if shortcut else prev_lo
        layout[li] = (unit, n, lo, unit, w)
        w += (1 + unit - lo) * n
        prev_lo = unit
        unit += n
    if w > MAX_WEIGHTS:
        raise ShapeError(f"network would have {w} connections, more than the limit {MAX_WEIGHTS}")
    return layout, unit, w


class Network:
    """A FANN-style feed-forward network (layered or shortcut), evaluated by numba kernels.

    Create with `Network.standard` or `Network.shortcut`; see the module docstring for the
    array layout.
    """

    __slots__ = ("_layout", "_shortcut", "_sizes", "act_id", "scaler", "steepness", "weights")

    def __init__(
        self,
        layer_sizes: Sequence[int],
        *,
        shortcut: bool,
        weights: np.ndarray,
        act_id: np.ndarray,
        steepness: np.ndarray,
        scaler: Scaler | None = None,
    ) -> None:
        sizes = _check_sizes(layer_sizes)
        layout, n_units, n_weights = build_layout(sizes, shortcut)
        dt = _check_dtype(np.asarray(weights).dtype)
        w = np.ascontiguousarray(weights, dtype=dt).reshape(-1)
        a = np.ascontiguousarray(act_id, dtype=np.int32).reshape(-1)
        s = np.ascontiguousarray(steepness, dtype=dt).reshape(-1)
        if w.size != n_weights:
            raise ShapeError(
                f"weights: expected {n_weights} values for {list(sizes)}, got {w.size}"
            )
        if a.size != n_units or s.size != n_units:
            raise ShapeError(
                f"act_id/steepness: expected {n_units} values (one per unit), got {a.size}/{s.size}"
            )
        if not np.all(np.isfinite(w)):
            raise NonFiniteError("weights contain NaN or infinity")
        neurons = slice(1 + sizes[0], n_units)
        if np.any((a[neurons] < 0) | (a[neurons] >= len(ACTIVATIONS))):
            raise ConfigError("act_id", f"activation ids must be in [0, {len(ACTIVATIONS) - 1}]")
        if not np.all(np.isfinite(s[neurons])) or np.any(s[neurons] <= 0):
            raise ConfigError("steepness", "every neuron's steepness must be finite and > 0")
        self._sizes = sizes
        self._shortcut = bool(shortcut)
        self._layout = layout
        self.weights = w
        self.act_id = a
        self.steepness = s
        self.scaler = scaler

    # ------------------------------------------------------------------ construction
    @staticmethod
    def count_weights(layers: Sequence[int], *, shortcut: bool = False) -> int:
        """The weights `standard` (or, with ``shortcut``, `shortcut`) would allocate for
        ``layers``: check a size limit with it before building the network."""
        return count_weights(layers, shortcut)

    @classmethod
    def standard(
        cls,
        layers: Sequence[int],
        *,
        hidden_activation: str = "sigmoid_stepwise",
        output_activation: str = "sigmoid_stepwise",
        hidden_steepness: float = 0.5,
        output_steepness: float = 0.5,
        init: str = "uniform",
        weight_range: float = 0.1,
        seed: int | None = None,
        dtype: Any = np.float32,
    ) -> Network:
        """Fully connected layered network (FANN's ``fann_create_standard``), FANN defaults.

        ``init``: ``"uniform"`` draws weights uniformly from ``[-weight_range, weight_range]``
        with numpy's generator seeded by ``seed``; ``"widrow_nguyen"`` scales hidden layers
        Nguyen-Widrow style (inputs assumed in [-1, 1]); ``"fann"`` reproduces libfann exactly:
        the weights a C program gets from ``srand(seed); fann_randomize_weights(ann,
        -weight_range, weight_range)`` on glibc (float32 values, FANN's connection order).
        """
        return cls._create(
            layers, False, hidden_activation, output_activation, hidden_steepness,
            output_steepness, init, weight_range, seed, dtype,
        )  # fmt: skip

    @classmethod
    def shortcut(
        cls,
        layers: Sequence[int],
        *,
        hidden_activation: str = "sigmoid_stepwise",
        output_activation: str = "sigmoid_stepwise",
        hidden_steepness: float = 0.5,
        output_steepness: float = 0.5,
        init: str = "uniform",
        weight_range: float = 0.1,
        seed: int | None = None,
        dtype: Any = np.float32,
    ) -> Network:
        """Shortcut network (FANN's ``fann_create_shortcut``): each layer sees all earlier ones.

        Same options as `standard`.
        """
        return cls._create(
            layers, True, hidden_activation, output_activation, hidden_steepness,
            output_steepness, init, weight_range, seed, dtype,
        )  # fmt: skip

    @classmethod
    def _create(
        cls,
        layers: Sequence[int],
        shortcut: bool,
        hidden_activation: str,
        output_activation: str,
        hidden_steepness: float,
        output_steepness: float,
        init: str,
        weight_range: float,
        seed: int | None,
        dtype: Any,
    ) -> Network:
        sizes = _check_sizes(layers)
        dt = _check_dtype(dtype)
        hid = activation_id(hidden_activation, field="hidden_activation")
        out = activation_id(output_activation, field="output_activation")
        for field, value in (
            ("hidden_steepness", hidden_steepness),
            ("output_steepness", output_steepness),
        ):
            if not (isinstance(value, (int, float)) and np.isfinite(value) and 0 < value <= 1e6):
                raise ConfigError(field, f"must be a finite number in (0, 1e6], got {value!r}")
        if init not in INITS:
            raise ConfigError("init", f"must be one of {INITS}, got {init!r}")
        if not (
            isinstance(weight_range, (int, float))
            and np.isfinite(weight_range)
            and 0 < weight_range <= 1e3
        ):
            raise ConfigError(
                "weight_range", f"must be a finite number in (0, 1000], got {weight_range!r}"
            )
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ConfigError("seed", f"must be an int or None, got {seed!r}")
        _, n_units, n_weights = build_layout(sizes, shortcut)
        act = np.zeros(n_units, dtype=np.int32)
        steep = np.zeros(n_units, dtype=dt)
        first_neuron = 1 + sizes[0]
        out_start = n_units - sizes[-1]
        act[first_neuron:out_start] = hid
        steep[first_neuron:out_start] = hidden_steepness
        act[out_start:] = out
        steep[out_start:] = output_steepness
        rng = np.random.default_rng(seed)
        w = rng.uniform(-weight_range, weight_range, size=n_weights)
        net = cls(sizes, shortcut=shortcut, weights=w.astype(dt), act_id=act, steepness=steep)
        if init == "widrow_nguyen":
            net._widrow_nguyen(rng)
        elif init == "fann":
            net._fann_init(0 if seed is None else int(seed), weight_range)
        return net

    def _fann_init(self, seed: int, weight_range: float) -> None:
        """libfann's ``srand(seed); fann_randomize_weights(ann, -r, r)``, value for value."""
        from ._fann_io import fann_weight_order
        from ._fann_rand import fann_uniform

        order = fann_weight_order(self)
        self.weights[order] = fann_uniform(seed, order.size, -weight_range, weight_range)

    def _widrow_nguyen(self, rng: np.random.Generator) -> None:
        """Nguyen-Widrow init of every hidden layer (inputs assumed in [-1, 1]).

        Each hidden neuron's input weights get norm ``beta = 0.7 * n_l ** (1 / n_src)`` in a
        random direction and its bias is uniform in ``[-beta, beta]``; the output layer keeps
        its uniform weights.
        """
        for li in range(self._layout.shape[0] - 1):
            block = self._block(li)
            n_src = block.shape[0] - 1
            beta = 0.7 * block.shape[1] ** (1.0 / n_src)
            v = rng.uniform(-0.5, 0.5, size=(n_src, block.shape[1]))
            norms = np.sqrt((v * v).sum(axis=0))
            norms[norms == 0] = 1.0
            block[1:] = beta * v / norms
            block[0] = rng.uniform(-beta, beta, size=block.shape[1])

    # ------------------------------------------------------------------ properties
    @property
    def dtype(self) -> np.dtype[Any]:
        return self.weights.dtype

    @property
    def n_inputs(self) -> int:
        return self._sizes[0]

    @property
    def n_outputs(self) -> int:
        return self._sizes[-1]

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def n_connections(self) -> int:
        return int(self.weights.size)

    @property
    def n_hidden(self) -> int:
        """Number of hidden neurons (all layers between input and output)."""
        return int(sum(self._sizes[1:-1]))

    @property
    def is_shortcut(self) -> bool:
        return self._shortcut

    @property
    def n_units(self) -> int:
        return int(self.act_id.size)

    @property
    def _output_start(self) -> int:
        return self.n_units - self._sizes[-1]

    @property
    def layout(self) -> np.ndarray:
        """Read-only copy of the ``(L, 5)`` layout table (see the module docstring)."""
        return self._layout.copy()

    def _block(self, layer: int) -> np.ndarray:
        """Writable ``(1 + n_src, n_l)`` view of non-input layer ``layer``'s weights."""
        _, n, lo, hi, w0 = (int(v) for v in self._layout[layer])
        return self.weights[w0 : w0 + (1 + hi - lo) * n].reshape(1 + hi - lo, n)

    def layer_weights(self, layer: int) -> np.ndarray:
        """Copy of non-input layer ``layer``'s weight block, shape ``(1 + n_src, n_l)``."""
        if not 0 <= layer < self._layout.shape[0]:
            raise ShapeError(f"layer must be in [0, {self._layout.shape[0] - 1}], got {layer}")
        return self._block(layer).copy()

    def output_is_symmetric(self) -> np.ndarray:
        """Boolean per output: does FANN halve this output's error (symmetric activation)?"""
        sym_ids = [activation_id(n) for n in SYMMETRIC]
        return np.isin(self.act_id[self._output_start :], sym_ids)

    # ------------------------------------------------------------------ evaluation
    def _prepare_inputs(self, x: Any) -> tuple[np.ndarray, bool]:
        arr = np.asarray(x)
        if arr.dtype.kind not in "fiub":
            raise ShapeError(f"inputs must be numeric, got dtype {arr.dtype}")
        single = arr.ndim == 1
        if single:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != self.n_inputs:
            raise ShapeError(
                f"inputs must have shape ({self.n_inputs},) or (n, {self.n_inputs}), got {np.shape(x)}"
            )
        arr = np.ascontiguousarray(arr, dtype=self.dtype)
        if not np.all(np.isfinite(arr)):
            raise NonFiniteError("inputs contain NaN or infinity")
        return arr, single

    def run(self, x: Any) -> np.ndarray:
        """Outputs for one sample (1-D, returns 1-D) or a batch (2-D, returns ``(n, n_out)``).

        Raw network outputs, like ``fann_run``: an attached `scaler` is *not* applied here
        (use `predict` for that).
        """
        X, single = self._prepare_inputs(x)
        Y = np.empty((X.shape[0], self.n_outputs), dtype=self.dtype)
        if X.shape[0]:
            XT = np.ascontiguousarray(X.T)
            none = np.empty((0, 0), dtype=self.dtype)
            _all_units(
                XT, self.weights, self._layout, self.act_id, self.steepness, Y, none,
                self._output_start,
            )  # fmt: skip
        return Y[0] if single else Y

    def predict(self, x: Any) -> np.ndarray:
        """`run` with the attached `scaler` applied (inputs scaled, outputs descaled), if any."""
        if self.scaler is None:
            return self.run(x)
        X, single = self._prepare_inputs(x)
        Y = self.run(self.scaler.scale_inputs(X))
        Y = self.scaler.descale_outputs(Y)
        return Y[0] if single else Y

    def _activations(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """All unit values and sums for a batch: ``(values, sums)``, each ``(n, n_units)``.

        Columns follow the unit numbering of the module docstring: column 0 is the bias (1.0),
        then the inputs, the hidden neurons and the outputs. ``sums`` holds FANN's neuron sum
        ``z = clip(steepness * net)`` (0 in the bias and input columns).
        """
        X, _ = self._prepare_inputs(x)
        V = np.empty((X.shape[0], self.n_units), dtype=self.dtype)
        Z = np.empty((X.shape[0], self.n_units), dtype=self.dtype)
        if X.shape[0]:
            XT = np.ascontiguousarray(X.T)
            _all_units(XT, self.weights, self._layout, self.act_id, self.steepness, V, Z, 0)
        return V, Z

    # ------------------------------------------------------------------ cascade support
    def _add_hidden_neuron(
        self, in_weights: np.ndarray, activation: str, steepness: float, out_weights: np.ndarray
    ) -> None:
        """Install one hidden neuron in a shortcut network (layout in the module docstring)."""
        if not self._shortcut:
            raise ConfigError("network", "hidden neurons can only be added to shortcut networks")
        aid = activation_id(activation)
        if not (np.isfinite(steepness) and steepness > 0):
            raise ConfigError("steepness", f"must be finite and > 0, got {steepness!r}")
        n_src = 1 + self.n_inputs + self.n_hidden
        win = np.asarray(in_weights, dtype=self.dtype).reshape(-1)
        wout = np.asarray(out_weights, dtype=self.dtype).reshape(-1)
        if win.size != n_src:
            raise ShapeError(
                f"in_weights: expected {n_src} values (bias, inputs, hidden), got {win.size}"
            )
        if wout.size != self.n_outputs:
            raise ShapeError(f"out_weights: expected {self.n_outputs} values, got {wout.size}")
        if not (np.all(np.isfinite(win)) and np.all(np.isfinite(wout))):
            raise NonFiniteError("in_weights/out_weights contain NaN or infinity")
        out_w0 = int(self._layout[-1, 4])
        before = self.weights[:out_w0]
        out_block = self.weights[out_w0:].reshape(-1, self.n_outputs)
        new_weights = np.concatenate([before, win, out_block.reshape(-1), wout])
        pos = self._output_start
        sizes = (*self._sizes[:-1], 1, self._sizes[-1])
        layout, _, n_weights = build_layout(sizes, True)
        assert new_weights.size == n_weights
        self._sizes = sizes
        self._layout = layout
        self.weights = np.ascontiguousarray(new_weights)
        self.act_id = np.insert(self.act_id, pos, np.int32(aid))
        self.steepness = np.insert(self.steepness, pos, self.dtype.type(steepness))

    # ------------------------------------------------------------------ misc
    def copy(self) -> Network:
        """Deep copy (independent arrays and scaler)."""
        return Network(
            self._sizes,
            shortcut=self._shortcut,
            weights=self.weights.copy(),
            act_id=self.act_id.copy(),
            steepness=self.steepness.copy(),
            scaler=_copy.deepcopy(self.scaler),
        )

    def _per_layer(self) -> tuple[list[Any], list[Any]]:
        acts: list[Any] = []
        steeps: list[Any] = []
        for li in range(self._layout.shape[0]):
            u0, n = int(self._layout[li, 0]), int(self._layout[li, 1])
            names = [ACTIVATIONS[int(a)] for a in self.act_id[u0 : u0 + n]]
            values = [float(s) for s in self.steepness[u0 : u0 + n]]
            acts.append(names[0] if len(set(names)) == 1 else names)
            steeps.append(values[0] if len(set(values)) == 1 else values)
        return acts, steeps

    def describe(self) -> dict[str, Any]:
        """JSON-able summary.

        ``activations``/``steepnesses`` have one entry per non-input layer: a single name/value
        when the whole layer shares it, else a list with one entry per neuron.
        """
        acts, steeps = self._per_layer()
        return {
            "type": "shortcut" if self._shortcut else "standard",
            "layers": list(self._sizes),
            "n_inputs": self.n_inputs,
            "n_outputs": self.n_outputs,
            "n_hidden": self.n_hidden,
            "n_connections": self.n_connections,
            "dtype": str(self.dtype),
            "activations": acts,
            "steepnesses": steeps,
            "scaled": self.scaler is not None,
        }

    def __repr__(self) -> str:
        kind = "shortcut" if self._shortcut else "standard"
        return f"Network({kind}, layers={list(self._sizes)}, connections={self.n_connections}, dtype={self.dtype})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return (
            self._sizes == other._sizes
            and self._shortcut == other._shortcut
            and self.dtype == other.dtype
            and np.array_equal(self.weights, other.weights)
            and np.array_equal(self.act_id, other.act_id)
            and np.array_equal(self.steepness, other.steepness)
            and self.scaler == other.scaler
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ persistence
    def to_bytes(self) -> bytes:
        """Lossless native serialization (npz + JSON metadata; bit-exact round trip)."""
        from ._persist import network_to_bytes

        return network_to_bytes(self)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, max_weights: int | None = None, max_bytes: int | None = None
    ) -> Network:
        """Read `to_bytes` output; ``max_weights`` / ``max_bytes`` (total inflated size) are
        checked from the archive's headers before anything is inflated (`LimitError`)."""
        from ._persist import network_from_bytes

        return network_from_bytes(data, max_weights=max_weights, max_bytes=max_bytes)

    def save(self, path: str | Path) -> None:
        """Write the native format (see `to_bytes`) to ``path``."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> Network:
        return cls.from_bytes(Path(path).read_bytes())

    def save_fann(self, path: str | Path) -> None:
        """Write FANN 2.2's ``.net`` text format (``FANN_FLO_2.1``), loadable by libfann."""
        from ._fann_io import save_fann

        save_fann(self, path)

    @classmethod
    def load_fann(
        cls, path: str | Path, *, max_weights: int | None = None, max_bytes: int | None = None
    ) -> Network:
        """Read a FANN ``.net`` file (``FANN_FLO_2.1``/``FANN_FLO_2.0``), scaling included;
        the limits are checked from the file size and ``layer_sizes`` first (`LimitError`)."""
        from ._fann_io import load_fann

        return load_fann(path, max_weights=max_weights, max_bytes=max_bytes)

    @classmethod
    def load_fann_text(cls, text: str, *, max_weights: int | None = None) -> Network:
        """`load_fann` of a ``.net`` file's content (no file: errors name no path)."""
        from ._fann_io import parse_fann

        return parse_fann(text, "", max_weights=max_weights)
