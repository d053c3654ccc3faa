"""FANN 2.2 ``.net`` text files (``FANN_FLO_2.1``, reading ``FANN_FLO_2.0`` too).

FANN numbers neurons globally, layer by layer; every layer of a layered network ends with a
bias neuron (the output layer's is unused), a shortcut network has one bias after the inputs.
A neuron's connections are stored as ``(source neuron, weight)`` pairs: [previous layer,
bias] for layered networks, [inputs, bias, earlier neurons] for shortcut ones. Loading maps
every source through that numbering, so any order FANN writes is accepted; connections a sparse
network (``connection_rate < 1``) lacks become weights of 0, which computes the same outputs.
Scaling parameters (``scale_included=1``) become the network's `Scaler`.

Fixed-point files (``FANN_FIX_*``) and FANN 1.1 files are not supported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np

from ._activations import ACTIVATIONS
from ._exceptions import LimitError, NetworkFormatError, NeuralError
from ._network import MAX_WEIGHTS, Network, build_layout, count_weights
from ._scaling import Scaler

FANN_MAX_ACTIVATION: Final[int] = 17  # FANN_COS: the last id libfann 2.2 knows
MAX_FILE_BYTES: Final[int] = 2_000_000_000

_NEURON_RE = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*,\s*([^\s)]+)\s*\)")
_CONN_RE = re.compile(r"\(\s*(\d+)\s*,\s*([^\s)]+)\s*\)")
_SCALE_KEYS: Final[tuple[str, ...]] = ("mean", "deviation", "new_min", "factor")

# FANN 2.2 defaults written into the header (training settings are not part of a Network).
_HEADER_DEFAULTS: Final[list[tuple[str, str]]] = [
    ("learning_rate", "0.700000"),
    ("connection_rate", "1.000000"),
    ("network_type", "{network_type}"),
    ("learning_momentum", "0.000000"),
    ("training_algorithm", "2"),
    ("train_error_function", "1"),
    ("train_stop_function", "0"),
    ("cascade_output_change_fraction", "0.010000"),
    ("quickprop_decay", "-0.000100"),
    ("quickprop_mu", "1.750000"),
    ("rprop_increase_factor", "1.200000"),
    ("rprop_decrease_factor", "0.500000"),
    ("rprop_delta_min", "0.000000"),
    ("rprop_delta_max", "50.000000"),
    ("rprop_delta_zero", "0.100000"),
    ("cascade_output_stagnation_epochs", "12"),
    ("cascade_candidate_change_fraction", "0.010000"),
    ("cascade_candidate_stagnation_epochs", "12"),
    ("cascade_max_out_epochs", "150"),
    ("cascade_min_out_epochs", "50"),
    ("cascade_max_cand_epochs", "150"),
    ("cascade_min_cand_epochs", "50"),
    ("cascade_num_candidate_groups", "2"),
    ("bit_fail_limit", "3.49999994039535522461e-01"),
    ("cascade_candidate_limit", "1.00000000000000000000e+03"),
    ("cascade_weight_multiplier", "4.00000005960464477539e-01"),
    ("cascade_activation_functions_count", "10"),
    ("cascade_activation_functions", "3 5 7 8 10 11 14 15 16 17 "),
    ("cascade_activation_steepnesses_count", "4"),
    (
        "cascade_activation_steepnesses",
        "2.50000000000000000000e-01 5.00000000000000000000e-01 "
        "7.50000000000000000000e-01 1.00000000000000000000e+00 ",
    ),
]


def _fmt(v: float) -> str:
    return f"{float(v):.20e}"


def _fann_numbering(sizes: tuple[int, ...], shortcut: bool) -> tuple[list[int], np.ndarray, int]:
    """FANN layer sizes (with bias neurons), FANN index of each of our units, FANN bias index."""
    n_in = sizes[0]
    fann_sizes = [n_in + 1] + [s if shortcut else s + 1 for s in sizes[1:]]
    index = np.zeros(1 + sum(sizes), dtype=np.int64)
    index[0] = n_in  # the input layer's bias
    index[1 : 1 + n_in] = np.arange(n_in)
    unit = 1 + n_in
    offset = fann_sizes[0]
    for s, fs in zip(sizes[1:], fann_sizes[1:], strict=True):
        index[unit : unit + s] = offset + np.arange(s)
        unit += s
        offset += fs
    return fann_sizes, index, n_in


def _fann_connections(net: Network):  # type: ignore[no-untyped-def]
    """Per non-input layer: ``(layer, layout row, FANN source indices, flat weight offsets)``.

    FANN stores each neuron's connections in its source order: sources in unit order with the
    bias right after the inputs (shortcut) or after the previous layer (layered); neuron ``j``'s
    weight from the k-th source is ``weights[offsets[k] + j]``.
    """
    sizes = net.layer_sizes
    _, index, _ = _fann_numbering(sizes, net.is_shortcut)
    for li, row in enumerate(net.layout):
        _u0, n, lo, hi, w0 = (int(v) for v in row)
        order = list(range(1, hi - lo + 1))
        order.insert(sizes[0] if net.is_shortcut else hi - lo, 0)
        # a layered network's neurons connect to the previous layer's own bias neuron, which
        # FANN numbers right after that layer's last neuron
        bias = int(index[0]) if net.is_shortcut or li == 0 else int(index[hi - 1]) + 1
        sources = [bias if r == 0 else int(index[lo + r - 1]) for r in order]
        yield li, row, sources, [w0 + r * n for r in order]


def fann_weight_order(net: Network) -> np.ndarray:
    """Flat indices into ``net.weights`` in the order libfann stores the connections."""
    order: list[int] = []
    for _li, row, _sources, flat in _fann_connections(net):
        for j in range(int(row[1])):
            order.extend(f + j for f in flat)
    return np.array(order, dtype=np.int64)


def save_fann(net: Network, path: str | Path) -> None:
    """Write ``net`` as a ``FANN_FLO_2.1`` file that libfann 2.2 loads."""
    too_new = sorted(
        {ACTIVATIONS[a] for a in net.act_id[1 + net.n_inputs :] if a > FANN_MAX_ACTIVATION}
    )
    if too_new:
        raise NetworkFormatError(
            f"libfann 2.2 has no activation {', '.join(too_new)}; cannot save as .net"
        )
    sizes = net.layer_sizes
    fann_sizes, _, _ = _fann_numbering(sizes, net.is_shortcut)
    out = ["FANN_FLO_2.1", f"num_layers={len(sizes)}"]
    for key, value in _HEADER_DEFAULTS:
        out.append(f"{key}={value.format(network_type=int(net.is_shortcut))}")
    out.append("layer_sizes=" + "".join(f"{s} " for s in fann_sizes))
    if net.scaler is None:
        out.append("scale_included=0")
    else:
        out.append("scale_included=1")
        params = net.scaler.params()
        for where, key in (("in", "inputs"), ("out", "outputs")):
            for name in _SCALE_KEYS:
                values = params[key][name]
                out.append(f"scale_{name}_{where}=" + "".join(f"{v:.17g} " for v in values))
    zero = _fmt(0.0)
    neurons = [f"(0, 0, {zero}) "] * (sizes[0] + 1)
    for _li, row, sources, _flat in _fann_connections(net):
        u0, n = int(row[0]), int(row[1])
        for j in range(n):
            u = u0 + j
            neurons.append(f"({len(sources)}, {int(net.act_id[u])}, {_fmt(net.steepness[u])}) ")
        if not net.is_shortcut:
            neurons.append(f"(0, 0, {zero}) ")
    out.append(
        "neurons (num_inputs, activation_function, activation_steepness)=" + "".join(neurons)
    )
    # the connections (most of the file) are written neuron by neuron, never held as a whole
    with Path(path).open("w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(out) + "\n")
        f.write("connections (connected_to_neuron, weight)=")
        for _li, row, sources, flat in _fann_connections(net):
            for j in range(int(row[1])):
                f.write(
                    "".join(
                        f"({src}, {_fmt(net.weights[w + j])}) "
                        for src, w in zip(sources, flat, strict=True)
                    )
                )
        f.write("\n")


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise NetworkFormatError(f"{what}: expected a number") from None


def load_fann(
    path: str | Path,
    *,
    dtype: Any = np.float32,
    max_weights: int | None = None,
    max_bytes: int | None = None,
) -> Network:
    """Read a FANN ``.net`` file into a `Network` (float32 like libfann's float build).

    ``max_bytes`` (default `MAX_FILE_BYTES`) bounds the file, ``max_weights`` (default the
    network's own limit) the network; the weight count follows from ``layer_sizes`` and is
    checked (`LimitError`) before the neurons and connections are parsed, which then happens
    one entry at a time into the final arrays.
    """
    p = Path(path)
    size = p.stat().st_size
    cap = MAX_FILE_BYTES if max_bytes is None else max_bytes
    if size > cap:
        raise LimitError("bytes", size, cap, f"{p}: {size} bytes, more than the limit {cap}")
    return parse_fann(
        p.read_text(encoding="utf-8", errors="replace"), f"{p}: ", max_weights=max_weights
    )


def parse_fann(
    text: str, where: str, *, dtype: Any = np.float32, max_weights: int | None = None
) -> Network:
    """`load_fann` of ``text``; ``where`` prefixes every error message (the file, or "")."""
    p = where
    w_limit = MAX_WEIGHTS if max_weights is None else min(max_weights, MAX_WEIGHTS)
    lines = _lines(text)
    first = next(lines, (0, 0))
    version = text[first[0] : first[1]].strip()
    if not version:
        raise NetworkFormatError(f"{p}empty file")
    if version not in ("FANN_FLO_2.1", "FANN_FLO_2.0"):
        raise NetworkFormatError(
            f"{p}unsupported header (expected FANN_FLO_2.1 or FANN_FLO_2.0; "
            "fixed-point and 1.x files are not supported)"
        )
    fields: dict[str, str] = {}
    # the neurons and connections lines hold nearly all of the text: they are kept as offsets
    # into it (the regexes scan them in place), the short field lines as strings
    neuron_span = conn_span = None
    for lo, hi in lines:
        eq = text.find("=", lo, hi)
        if eq < 0:
            continue
        key = text[lo:eq].strip()
        if key.startswith("neurons"):
            neuron_span = (eq + 1, hi)
        elif key.startswith("connections"):
            conn_span = (eq + 1, hi)
        else:
            fields[key] = text[eq + 1 : hi].strip()
    for required in ("num_layers", "network_type", "layer_sizes"):
        if required not in fields:
            raise NetworkFormatError(f"{p}missing field {required!r}")
    if neuron_span is None or conn_span is None:
        raise NetworkFormatError(f"{p}missing the neurons or connections line")
    try:
        num_layers = int(fields["num_layers"])
        network_type = int(fields["network_type"])
    except ValueError:
        raise NetworkFormatError(f"{p}num_layers and network_type must be integers") from None
    if network_type not in (0, 1):
        raise NetworkFormatError(
            f"{p}network_type must be 0 (layered) or 1 (shortcut), got {network_type}"
        )
    shortcut = network_type == 1
    # every layer after the inputs has a neuron with a bias and one more connection
    max_layers = w_limit // 2 + 2
    if not 2 <= num_layers <= max_layers:
        raise NetworkFormatError(
            f"{p}num_layers={num_layers}, expected 2 to {max_layers} for at most {w_limit} weights"
        )
    size_fields = fields["layer_sizes"].split(maxsplit=num_layers)
    if len(size_fields) != num_layers:
        raise NetworkFormatError(
            f"{p}layer_sizes has {'more' if len(size_fields) > num_layers else 'fewer'} "
            f"entries than num_layers={num_layers}"
        )
    try:
        fann_sizes = [int(v) for v in size_fields]
    except ValueError:
        raise NetworkFormatError(f"{p}layer_sizes must be integers") from None
    sizes = tuple([fann_sizes[0] - 1] + [s if shortcut else s - 1 for s in fann_sizes[1:]])
    if min(sizes) < 1:
        raise NetworkFormatError(f"{p}layer_sizes leave an empty layer")
    try:
        n_weights = count_weights(sizes, shortcut)
    except NeuralError as exc:
        raise NetworkFormatError(f"{p}layer_sizes: {exc}") from None
    if n_weights > w_limit:
        raise LimitError(
            "weights", n_weights, w_limit,
            f"{p}layer_sizes need {n_weights} weights, more than the limit {w_limit}",
        )  # fmt: skip
    scaler = None
    if fields.get("scale_included", "0").strip() == "1":
        try:
            parts = {
                where: {
                    name: _floats(
                        fields[f"scale_{name}_{where}"], sizes[0 if where == "in" else -1]
                    )
                    for name in _SCALE_KEYS
                }
                for where in ("in", "out")
            }
            scaler = Scaler.from_params(parts["in"], parts["out"])
        except (KeyError, ValueError, NeuralError):
            raise NetworkFormatError(
                f"{p}bad scaling parameters (scale_*_in/out need one number per input/output)"
            ) from None
        if scaler.n_inputs != sizes[0] or scaler.n_outputs != sizes[-1]:
            raise NetworkFormatError(f"{p}scaling parameters do not match the layer sizes")
    n_neurons = sum(fann_sizes)
    neurons = []
    for m in _NEURON_RE.finditer(text, *neuron_span):
        neurons.append(m.groups())
        if len(neurons) > n_neurons:
            raise NetworkFormatError(f"{p}more neurons listed than layer_sizes need ({n_neurons})")
    if len(neurons) != n_neurons:
        raise NetworkFormatError(f"{p}{len(neurons)} neurons listed, layer_sizes need {n_neurons}")
    n_conn_declared = sum(int(c) for c, _, _ in neurons)
    if n_conn_declared > n_weights:
        raise NetworkFormatError(
            f"{p}neurons declare {n_conn_declared} connections, the layer sizes allow {n_weights}"
        )
    try:
        layout, n_units, _ = build_layout(sizes, shortcut)
    except NeuralError as exc:
        raise NetworkFormatError(f"{p}{exc}") from None
    _, index, _ = _fann_numbering(sizes, shortcut)
    to_unit = {int(f): u for u, f in enumerate(index)}
    # every bias neuron of a layered network is constant 1, i.e. our unit 0
    offset = 0
    for fs in fann_sizes:
        offset += fs
        if not shortcut:
            to_unit[offset - 1] = 0
    # filled in the network dtype directly: no float64 copy of the weights on the way
    weights = np.zeros(n_weights, dtype=dtype)
    act = np.zeros(n_units, dtype=np.int32)
    steep = np.zeros(n_units, dtype=np.float64)
    conns: Iterator[re.Match[str] | None] = _CONN_RE.finditer(text, *conn_span)
    ci = 0
    fann_idx = 0
    for layer, fs in enumerate(fann_sizes):
        real = sizes[layer]
        for pos in range(fs):
            n_c, a, s = neurons[fann_idx]
            fann_idx += 1
            n_c = int(n_c)
            if layer == 0 or pos >= real:  # inputs and bias neurons have no connections
                if n_c:
                    raise NetworkFormatError(f"{p}input/bias neuron {fann_idx - 1} has connections")
                continue
            u0, n, lo, hi, w0 = (int(v) for v in layout[layer - 1])
            u = u0 + pos
            a_id = int(a)
            if a_id > FANN_MAX_ACTIVATION:
                raise NetworkFormatError(f"{p}neuron {fann_idx - 1} has unknown activation {a_id}")
            act[u] = a_id
            steep[u] = _float(s, f"steepness of neuron {fann_idx - 1}")
            seen = set()
            for k in range(n_c):
                hit = next(conns, None)
                if hit is None:
                    raise NetworkFormatError(
                        f"{p}{ci + k} connections listed, neurons declare {n_conn_declared}"
                    )
                src_text, w_text = hit.groups()
                src = to_unit.get(int(src_text))
                if src is None or (src != 0 and not lo <= src < hi):
                    raise NetworkFormatError(
                        f"{p}neuron {fann_idx - 1} connects to neuron {src_text}, which this "
                        f"{'shortcut' if shortcut else 'layered'} network cannot represent"
                    )
                if src in seen:
                    raise NetworkFormatError(
                        f"{p}neuron {fann_idx - 1} connects twice to neuron {src_text}"
                    )
                seen.add(src)
                row = 0 if src == 0 else 1 + src - lo
                weights[w0 + row * n + pos] = _float(w_text, f"weight of connection {ci + k}")
            ci += n_c
    if next(conns, None) is not None:
        raise NetworkFormatError(
            f"{p}more connections listed than the {n_conn_declared} the neurons declare"
        )
    try:
        return Network(
            sizes,
            shortcut=shortcut,
            weights=weights,
            act_id=act,
            steepness=steep.astype(dtype),
            scaler=scaler,
        )
    except NeuralError as exc:
        raise NetworkFormatError(f"{p}{exc}") from None


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line of ``text``, "\r\n" excluded (a list of the lines, or a
    StringIO, would copy all of it)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield start, end - 1 if end > start and text[end - 1] == "\r" else end
        start = end + 1


def _floats(text: str, n: int) -> list[float]:
    """Exactly ``n`` numbers from ``text`` (splitting no further than one past them)."""
    parts = text.split(maxsplit=n)
    if len(parts) != n:
        raise ValueError("wrong count")
    return [float(v) for v in parts]
