"""Native, lossless network serialization: an uncompressed ``.npz`` archive.

Members: ``weights`` (network dtype), ``act_id`` (int32), ``steepness`` (network dtype),
``layer_sizes`` (int64), optional ``scale_in``/``scale_out`` (float64, shape (4, n): mean,
deviation, new_min, factor) and ``meta``: UTF-8 JSON ``{"format": "neural.network",
"version": 1, "shortcut": bool}``. Arrays are stored as raw bytes, so a round trip is bit-exact.
Loading never unpickles anything.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Final

import numpy as np

from ._exceptions import NetworkFormatError, NeuralError
from ._network import Network
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


def _member(archive: Any, name: str) -> np.ndarray:
    if name not in archive.files:
        raise NetworkFormatError(f"not a saved network: member {name!r} is missing")
    return np.asarray(archive[name])


def network_from_bytes(data: bytes) -> Network:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise NetworkFormatError(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_BYTES:
        raise NetworkFormatError(f"{len(data)} bytes is more than the limit {MAX_BYTES}")
    try:
        archive = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise NetworkFormatError(f"not a saved network (not an npz archive: {exc})") from None
    if not hasattr(archive, "files"):
        raise NetworkFormatError("not a saved network (a bare array, not an npz archive)")
    with archive:
        try:
            meta = json.loads(bytes(_member(archive, "meta").astype(np.uint8)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NetworkFormatError(f"metadata is not valid JSON: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise NetworkFormatError(f"not a saved network (format {meta!r})")
        if meta.get("version") != FORMAT_VERSION:
            raise NetworkFormatError(
                f"unsupported format version {meta.get('version')!r} (this build reads {FORMAT_VERSION})"
            )
        scaler = None
        if "scale_in" in archive.files or "scale_out" in archive.files:
            sin, sout = _member(archive, "scale_in"), _member(archive, "scale_out")
            if sin.ndim != 2 or sout.ndim != 2 or sin.shape[0] != 4 or sout.shape[0] != 4:
                raise NetworkFormatError("scale_in/scale_out must have shape (4, n)")
            try:
                scaler = Scaler.from_params(
                    dict(zip(_KEYS, sin, strict=True)), dict(zip(_KEYS, sout, strict=True))
                )
            except NeuralError as exc:
                raise NetworkFormatError(f"bad scaling parameters: {exc}") from None
        try:
            net = Network(
                [int(v) for v in _member(archive, "layer_sizes")],
                shortcut=bool(meta.get("shortcut")),
                weights=_member(archive, "weights"),
                act_id=_member(archive, "act_id"),
                steepness=_member(archive, "steepness"),
                scaler=scaler,
            )
        except NetworkFormatError:
            raise
        except NeuralError as exc:
            raise NetworkFormatError(f"inconsistent saved network: {exc}") from None
    if scaler is not None and (
        scaler.n_inputs != net.n_inputs or scaler.n_outputs != net.n_outputs
    ):
        raise NetworkFormatError("scaling parameters do not match the network's inputs/outputs")
    return net
