"""Model files are checked against the caller's limits from their headers, before the data
they declare is inflated or parsed."""

from __future__ import annotations

import io
import json
import pathlib
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npf

from neural import LimitError, Network, NetworkFormatError

META = json.dumps({"format": "neural.network", "version": 1, "shortcut": False}).encode()


def _archive(members: dict[str, tuple[tuple[int, ...], str, bytes]]) -> bytes:
    """An npz whose members have the given declared (shape, dtype) and raw data."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (shape, descr, raw) in members.items():
            head = io.BytesIO()
            npf.write_array_header_1_0(
                head, {"descr": descr, "fortran_order": False, "shape": shape}
            )
            zf.writestr(f"{name}.npy", head.getvalue() + raw)
    return buf.getvalue()


def _members(sizes: list[int], **override: tuple[tuple[int, ...], str, bytes]) -> bytes:
    net = Network.standard(sizes, seed=1, dtype=np.float64)
    base = {
        "meta": ((len(META),), "|u1", META),
        "layer_sizes": ((len(sizes),), "<i8", np.asarray(sizes, np.int64).tobytes()),
        "weights": ((net.n_connections,), "<f8", net.weights.tobytes()),
        "act_id": ((net.n_units,), "<i4", net.act_id.tobytes()),
        "steepness": ((net.n_units,), "<f8", net.steepness.tobytes()),
    }
    base.update(override)
    return _archive(base)


def test_a_hand_built_archive_loads() -> None:
    net = Network.from_bytes(_members([2, 3, 1]))
    assert net.layer_sizes == (2, 3, 1) and net == Network.standard(
        [2, 3, 1], seed=1, dtype=np.float64
    )


@pytest.mark.parametrize(
    ("override", "match"),
    [
        (
            {"weights": ((10**12,), "<f8", b"")},
            r"weights: header declares shape \(1000000000000,\)",
        ),
        ({"weights": ((13,), "|O", b"")}, "weights: dtype"),
        ({"weights": ((13,), "<f8", b"\0" * 40)}, "weights: data ends after 40 of the 104 bytes"),
        ({"act_id": ((7, 10**9), "<i4", b"")}, "act_id: header declares shape"),
        ({"meta": ((10**9,), "|u1", b"")}, "meta: header declares shape"),
        ({"layer_sizes": ((2,), "<f8", b"\0" * 16)}, "layer_sizes: dtype"),
    ],
)
def test_declared_shapes_and_dtypes_are_checked_before_reading(override, match) -> None:
    with pytest.raises((NetworkFormatError, LimitError), match=match):
        Network.from_bytes(_members([2, 3, 1], **override))


def test_layer_sizes_over_the_weight_limit_are_refused_before_the_weights() -> None:
    sizes = [2, 5000, 5000, 1]
    blob = _members(
        [2, 3, 1],
        layer_sizes=((4,), "<i8", np.asarray(sizes, np.int64).tobytes()),
        weights=((Network.count_weights(sizes),), "<f8", b""),  # no data: never read
    )
    with pytest.raises(LimitError) as info:
        Network.from_bytes(blob, max_weights=10_000_000)
    assert (info.value.what, info.value.limit) == ("weights", 10_000_000)
    assert info.value.value == Network.count_weights(sizes) == 25_025_001


def test_total_inflated_bytes_are_capped() -> None:
    blob = _members([20, 30, 10])
    Network.from_bytes(blob, max_bytes=20_000)
    with pytest.raises(LimitError) as info:
        Network.from_bytes(blob, max_bytes=4_000)
    assert info.value.what == "bytes" and info.value.limit <= 4_000


def test_a_lying_zip_size_inflates_no_more_than_the_header_allows() -> None:
    blob = bytearray(_members([2, 3, 1]))
    # the central directory's uncompressed size of every member says 4 GiB - 1
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        infos = zf.infolist()
    at = 0
    for _ in infos:
        at = blob.index(b"PK\x01\x02", at)
        blob[at + 24 : at + 28] = (2**32 - 1).to_bytes(4, "little")
        at += 4
    net = Network.from_bytes(bytes(blob), max_bytes=10_000)
    assert net.layer_sizes == (2, 3, 1)


def _net_file(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "m.net"
    path.write_text(text)
    return path


HEAD = "FANN_FLO_2.1\nnum_layers={n}\nnetwork_type=0\nlayer_sizes={sizes}\nscale_included=0\n"
BODY = (
    "neurons (num_inputs, activation_function, activation_steepness)={neurons}\n"
    "connections (connected_to_neuron, weight)={conns}\n"
)


def test_fann_layer_sizes_over_the_limit_are_refused_before_parsing(tmp_path: pathlib.Path) -> None:
    path = _net_file(
        tmp_path, HEAD.format(n=3, sizes="5001 5001 2") + BODY.format(neurons="x", conns="y")
    )
    with pytest.raises(LimitError) as info:
        Network.load_fann(path, max_weights=10_000_000)
    assert (info.value.what, info.value.value) == ("weights", 25_010_001)


@pytest.mark.parametrize(
    ("head", "match"),
    [
        (HEAD.format(n=10**12, sizes="3 2"), "num_layers"),
        (HEAD.format(n=2, sizes="3 2 " * 1000), "more entries than num_layers"),
        (HEAD.format(n=2, sizes="3 x"), "must be integers"),
    ],
)
def test_fann_header_errors(tmp_path: pathlib.Path, head: str, match: str) -> None:
    path = _net_file(tmp_path, head + BODY.format(neurons="", conns=""))
    with pytest.raises(NetworkFormatError, match=match):
        Network.load_fann(path, max_weights=1000)


def test_fann_connection_counts_must_match(tmp_path: pathlib.Path) -> None:
    net = Network.standard([2, 2, 1], seed=3)
    net.save_fann(tmp_path / "ok.net")
    text = (tmp_path / "ok.net").read_text()
    assert Network.load_fann(tmp_path / "ok.net", max_weights=9) == Network.load_fann(
        tmp_path / "ok.net"
    )
    extra = _net_file(tmp_path, text.rstrip("\n") + "(0, 1.0) \n")
    with pytest.raises(NetworkFormatError, match="more connections listed"):
        Network.load_fann(extra)
    with pytest.raises(LimitError):
        Network.load_fann(tmp_path / "ok.net", max_weights=8)
    with pytest.raises(LimitError) as info:
        Network.load_fann(tmp_path / "ok.net", max_bytes=100)
    assert info.value.what == "bytes"
