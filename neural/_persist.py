"""Native, lossless network serialization: an uncompressed ``.npz`` archive.

Members: ``weights`` (network dtype), ``act_id`` (int32), ``steepness`` (network dtype),
``layer_sizes`` (int64), optional ``scale_in``/``scale_out`` (float64, shape (4, n): mean,
deviation, new_min, factor) and ``meta``: UTF-8 JSON ``{"format": "neural.network",
"version": 1, "shortcut": bool}``. Arrays are stored as raw bytes, so a round trip is bit-exact.
Loading never unpickles anything, and checks every member's declared dtype and shape against
the network's layer sizes and the caller's limits before inflating it.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from typing import Any, Final

import numpy as np
from numpy.lib import format as npf

from ._exceptions import LimitError, NetworkFormatError, NeuralError
from ._network import MAX_WEIGHTS, Network, count_weights
from ._scaling import Scaler

FORMAT_NAME: Final[str] = "neural.network"
FORMAT_VERSION: Final[int] = 1
MAX_BYTES: Final[int] = 2_000_000_000
_KEYS: Final[tuple[str, ...]] = ("mean", "deviation", "new_min", "factor")


def network_to_bytes(net: Network) -> bytes:
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "shortcut": net.is_shortcut}
    arrays: dict[str, np.ndarray] = {
        "weights": net.weights,
        "act_id": net.act_id,
        "steepness": net.steepness,
        "layer_sizes": np.asarray(net.layer_sizes, dtype=np.int64),
        "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
    }
    if net.scaler is not None:
        params = net.scaler.params()
        arrays["scale_in"] = np.array([params["inputs"][k] for k in _KEYS], dtype=np.float64)
        arrays["scale_out"] = np.array([params["outputs"][k] for k in _KEYS], dtype=np.float64)
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()


# the metadata is a short JSON object; anything this long is not one
MAX_META_BYTES: Final[int] = 64 * 1024
_READ_CHUNK: Final[int] = 1 << 20
_NPY_MAGIC: Final[bytes] = b"\x93NUMPY"


class _Archive:
    """An npz archive read member by member: each member's ``.npy`` header (dtype, shape) is
    checked against what the network may hold before a byte of its data is inflated, and the
    data is read through a bounded reader, so neither a member's declared uncompressed size
    (``ZipInfo.file_size``, which the archive writer chooses) nor a deflate bomb can make this
    allocate more than the limits allow."""

    def __init__(self, data: bytes, budget: int) -> None:
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            if bytes(data[:6]) == _NPY_MAGIC:
                raise NetworkFormatError(
                    "not a saved network (a bare array, not an npz archive)"
                ) from None
            raise NetworkFormatError(f"not a saved network (not an npz archive: {exc})") from None
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in self.zf.infolist():
            key = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            self.members.setdefault(key, info)
        self.budget = budget  # inflated bytes still allowed

    def __enter__(self) -> _Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zf.close()

    def has(self, name: str) -> bool:
        return name in self.members

    def read(
        self, name: str, kinds: str, *, count: int | None = None, max_count: int | None = None,
        limit_name: str = "",
    ) -> np.ndarray:  # fmt: skip
        """Member ``name`` as an array whose dtype kind is in ``kinds`` and which holds exactly
        ``count`` (or at most ``max_count``) elements."""
        info = self.members.get(name)
        if info is None:
            raise NetworkFormatError(f"not a saved network: member {name!r} is missing")
        try:
            with self.zf.open(info) as fp:
                shape, fortran, dtype = self._header(name, fp)
                n = math.prod(shape)
                if dtype.kind not in kinds or dtype.hasobject:
                    raise NetworkFormatError(f"{name}: dtype {dtype.str} is not allowed here")
                if count is not None and n != count:
                    raise NetworkFormatError(
                        f"{name}: header declares shape {shape} ({n} values); the network's "
                        f"layer_sizes need {count}"
                    )
                if max_count is not None and n > max_count:
                    raise LimitError(
                        limit_name or "values", n, max_count,
                        f"{name}: header declares shape {shape} ({n} values), more than the "
                        f"limit {max_count}{f' ({limit_name})' if limit_name else ''}",
                    )  # fmt: skip
                nbytes = n * dtype.itemsize
                if nbytes > self.budget:
                    raise LimitError(
                        "bytes", nbytes, self.budget,
                        f"{name}: {nbytes} bytes inflated, more than the {self.budget} bytes "
                        "left of the archive's inflated-size limit",
                    )  # fmt: skip
                self.budget -= nbytes
                arr = np.empty(n, dtype=dtype)
                view = arr.data.cast("B")
                got = 0
                while got < nbytes:
                    chunk = fp.read(min(_READ_CHUNK, nbytes - got))
                    if not chunk:
                        raise NetworkFormatError(
                            f"{name}: data ends after {got} of the {nbytes} bytes its header declares"
                        )
                    view[got : got + len(chunk)] = chunk
                    got += len(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise NetworkFormatError(f"{name}: cannot read the member ({exc})") from None
        return arr.reshape(shape, order="F" if fortran else "C")

    @staticmethod
    def _header(name: str, fp: Any) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
        try:
            version = npf.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = npf.read_array_header_1_0(fp)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = npf.read_array_header_2_0(fp)
            else:
                raise NetworkFormatError(f"{name}: unsupported .npy version {version}")
        except NetworkFormatError:
            raise
        except (ValueError, EOFError, SyntaxError, TypeError) as exc:
            raise NetworkFormatError(f"{name}: not a valid .npy header ({exc})") from None
        return tuple(int(d) for d in shape), bool(fortran), np.dtype(dtype)


def network_from_bytes(
    data: bytes, *, max_weights: int | None = None, max_bytes: int | None = None
) -> Network:
    """Read `network_to_bytes` output. ``max_weights`` (default `MAX_WEIGHTS`) bounds the
    network, ``max_bytes`` (default `MAX_BYTES`) the archive's total inflated size; both are
    checked from the members' headers before their data is inflated (`LimitError`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise NetworkFormatError(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise NetworkFormatError(f"{len(data)} bytes is more than the limit {MAX_BYTES}")
    w_limit = MAX_WEIGHTS if max_weights is None else min(max_weights, MAX_WEIGHTS)
    with _Archive(bytes(data), MAX_BYTES if max_bytes is None else max_bytes) as archive:
        raw_meta = archive.read("meta", "u", max_count=MAX_META_BYTES)
        try:
            meta = json.loads(bytes(raw_meta.astype(np.uint8)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NetworkFormatError(f"metadata is not valid JSON: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise NetworkFormatError("not a saved network (metadata format is not neural.network)")
        if meta.get("version") != FORMAT_VERSION:
            raise NetworkFormatError(
                f"unsupported format version {meta.get('version')!r} (this build reads {FORMAT_VERSION})"
            )
        shortcut = bool(meta.get("shortcut"))
        # every layer after the inputs holds a neuron with a bias and one more connection
        sizes_arr = archive.read(
            "layer_sizes", "iu", max_count=w_limit // 2 + 2, limit_name="weights"
        )
        if sizes_arr.ndim != 1:
            raise NetworkFormatError(f"layer_sizes must be 1-D, got shape {sizes_arr.shape}")
        sizes = [int(v) for v in sizes_arr]
        try:
            n_weights = count_weights(sizes, shortcut)
        except NeuralError as exc:
            raise NetworkFormatError(f"layer_sizes: {exc}") from None
        if n_weights > w_limit:
            raise LimitError(
                "weights", n_weights, w_limit,
                f"layer_sizes {_short(sizes)} need {n_weights} weights, more than the limit "
                f"{w_limit}",
            )  # fmt: skip
        n_units = 1 + sum(sizes)
        weights = archive.read("weights", "f", count=n_weights)
        act_id = archive.read("act_id", "iu", count=n_units)
        steepness = archive.read("steepness", "f", count=n_units)
        scaler = None
        if archive.has("scale_in") or archive.has("scale_out"):
            sin = archive.read("scale_in", "f", count=4 * sizes[0])
            sout = archive.read("scale_out", "f", count=4 * sizes[-1])
            if sin.shape != (4, sizes[0]) or sout.shape != (4, sizes[-1]):
                raise NetworkFormatError(
                    "scale_in/scale_out must have shape (4, n_inputs) and (4, n_outputs)"
                )
            try:
                scaler = Scaler.from_params(
                    dict(zip(_KEYS, sin, strict=True)), dict(zip(_KEYS, sout, strict=True))
                )
            except NeuralError as exc:
                raise NetworkFormatError(f"bad scaling parameters: {exc}") from None
    try:
        net = Network(
            sizes, shortcut=shortcut, weights=weights, act_id=act_id, steepness=steepness,
            scaler=scaler,
        )  # fmt: skip
    except NetworkFormatError:
        raise
    except NeuralError as exc:
        raise NetworkFormatError(f"inconsistent saved network: {exc}") from None
    if scaler is not None and (
        scaler.n_inputs != net.n_inputs or scaler.n_outputs != net.n_outputs
    ):
        raise NetworkFormatError("scaling parameters do not match the network's inputs/outputs")
    return net


def _short(sizes: list[int]) -> str:
    return (
        str(sizes)
        if len(sizes) <= 8
        else f"[{sizes[0]}, ... {len(sizes) - 2} more ..., {sizes[-1]}]"
    )
