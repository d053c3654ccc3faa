"""The streaming FANN .data reader: same arrays as the whole-file reader it replaced, limits
checked from the header before the body is read, errors that name the line and never the text."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import neural._data as data_mod
from neural import DataFormatError, LimitError, read_fann_data
from tests.neural._old_fann_reader import old_read_fann_data

LAYOUTS = {
    "plain": "3 2 1\n1 2\n3\n-4.5 5e-3\n6\n7 8\n9\n",
    "blank lines and crlf": "3 2 1\r\n\r\n1 2\r\n\n\n3\r\n-4.5\t5e-3\r\n6\r\n\r\n7   8 \r\n9",
    "indented, no final newline": "3 2 1\n  1 2\n\t3\n-4.5 5e-3\n6\n7 8\n 9",
    "exponents and signs": "3 2 1\n+1.0E0 .2e1\n3.\n-4.5 0.005\n6e0\n7 8\n9",
}


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_same_arrays_as_the_whole_file_reader(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, layout: str, block: int
) -> None:
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", block)
    path = tmp_path / "d.data"
    path.write_bytes(LAYOUTS[layout].encode())
    new, old = read_fann_data(path), old_read_fann_data(path)
    assert new == old and new.inputs.dtype == np.float64
    assert new.inputs.flags.c_contiguous and not new.inputs.flags.writeable
    as32 = read_fann_data(path, dtype=np.float32)
    assert as32.inputs.dtype == np.float32
    np.testing.assert_array_equal(as32.inputs, old.inputs.astype(np.float32))


@pytest.mark.parametrize("block", [13, 4096])
def test_bundled_and_random_files_match(
    data_dir: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", block)
    for name in ("xor.data", "diabetes.train", "diabetes120.data", "two-spiral.train"):
        assert read_fann_data(data_dir / name) == old_read_fann_data(data_dir / name), name
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 7)), rng.normal(size=(300, 3))
    path = tmp_path / "r.data"
    path.write_text(
        "300 7 3\n" + "".join(
            " ".join(repr(float(v)) for v in a) + "\n\n" + " ".join(f"{v:.20e}" for v in b) + "\n"
            for a, b in zip(x, y, strict=True)
        )
    )  # fmt: skip
    assert read_fann_data(path) == old_read_fann_data(path)


# (file, line of the error, message) - the same lines the whole-file reader reported
MALFORMED = [
    ("2 2 1\n1 2\n3\n4 5 6\n7\n", 4, "sample 2: expected 2 inputs, found 3"),
    ("2 2 1\n1 2\n3 4\n", 3, "sample 1: expected 1 outputs, found 2"),
    ("2 2 1\n1 2\n3\n1 oops\n0\n", 4, "expected a number"),
    ("2 2 1\n1 2\n3\n", 3, "ends early.*sample 2 has no inputs line"),
    ("2 2 1\n1 2\n3\n4 5\n\n\n", 6, "ends early.*sample 2 has no outputs line"),
    ("1 2 1\n1 2\n3\n5 5\n", 4, "extra data"),
    ("1 2 1\n1 nan\n3\n", 2, "finite"),
    ("2 1 1\n0\n\n\n\n\n\n\n\n1\n0\n\n\n\n\n1 2\n", 16, "sample 2: expected 1 outputs, found 2"),
]


@pytest.mark.parametrize("block", [1, 5, 1 << 20])
@pytest.mark.parametrize(("text", "line", "message"), MALFORMED)
def test_errors_name_the_line_at_any_block_size(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    line: int,
    message: str,
    block: int,
) -> None:
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", block)
    path = tmp_path / "bad.data"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=message) as info:
        read_fann_data(path)
    assert info.value.line == line


SECRET = "API_KEY=sk-live-0123456789"


@pytest.mark.parametrize(
    "text",
    [
        f"{SECRET} a b\n",
        f"{SECRET}\n",
        f"1 1 1\n{SECRET}\n1\n",
        f"1 2 1\n1 {SECRET}\n1\n",
        f"2 1 1\n1\n1\n{SECRET}\n",
        f"1 1 1\n1\n1\n{SECRET}\n",
    ],
)
def test_errors_never_contain_the_files_text(tmp_path: pathlib.Path, text: str) -> None:
    path = tmp_path / "secret.txt"
    path.write_text(text)
    with pytest.raises(DataFormatError) as info:
        read_fann_data(path)
    assert "sk-live" not in str(info.value) and "API_KEY" not in str(info.value)
    assert info.value.line is not None


def _limited(path: pathlib.Path, **limits: int) -> LimitError:
    with pytest.raises(LimitError) as info:
        read_fann_data(path, **limits)
    return info.value


def test_header_counts_are_checked_before_the_body(tmp_path: pathlib.Path) -> None:
    # the body is garbage: only a reader that stops at the header answers with the limit
    path = tmp_path / "big.data"
    path.write_text("15000000 1 1\n" + "garbage\n" * 1000)
    err = _limited(path, max_samples=1_000_000)
    assert (err.what, err.value, err.limit) == ("samples", 15_000_000, 1_000_000)
    assert "15000000 samples" in str(err) and "1000000" in str(err)
    path.write_text("10 7 300\n" + "garbage\n" * 10)
    err = _limited(path, max_features=200)
    assert (err.what, err.value, err.limit) == ("features", 300, 200)
    err = _limited(path, max_values=3000)
    assert (err.what, err.value, err.limit) == ("values", 3070, 3000)


def test_file_size_is_bounded_by_the_limits_and_the_header(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "padded.data"
    path.write_text("1 1 1\n1\n1\n" + " " * 5000)
    err = _limited(path)  # one sample of two values cannot need 5 kB
    assert err.what == "bytes" and err.limit == data_mod.fann_data_max_bytes(1, 1, 1)
    path.write_text("1 1 1\n1\n1\n")
    err = _limited(path, max_samples=1, max_values=2, max_bytes=5)
    assert (err.what, err.limit) == ("bytes", 5)
    # what the limits allow at most, before the file is even parsed
    path.write_text("1 1 1\n1\n1\n" + "\n" * (data_mod.HEADER_MAX_BYTES + 300))
    err = _limited(path, max_samples=1, max_features=1)
    assert err.what == "bytes" and err.limit < path.stat().st_size


def test_a_line_longer_than_its_values_can_need_is_refused(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", 64)
    path = tmp_path / "long.data"
    path.write_text("40 1 1\n" + "1" * 1000 + "\n")
    with pytest.raises(DataFormatError, match="longer than") as info:
        read_fann_data(path)
    assert info.value.line == 2


def test_blank_lines_after_an_inputs_line_are_not_kept(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the carry between blocks holds the waiting inputs line, not the blank lines after it
    monkeypatch.setattr(data_mod, "BLOCK_BYTES", 16)
    seen: list[int] = []
    feed = data_mod._Reader.feed

    def spy(self: data_mod._Reader, buf: bytes, final: bool) -> bytes:
        seen.append(len(buf))
        return feed(self, buf, final)

    monkeypatch.setattr(data_mod._Reader, "feed", spy)
    path = tmp_path / "gap.data"
    path.write_text("2 1 1\n0.5\n" + "\n" * 1000 + "1\n2\n3\n")
    d = read_fann_data(path, max_bytes=10**6)
    assert d.inputs[:, 0].tolist() == [0.5, 2.0] and d.outputs[:, 0].tolist() == [1.0, 3.0]
    assert max(seen) <= 16 + 4 + 16


def test_header_errors(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "h.data"
    for text, match in [
        ("", "expected 3 integers"),
        ("\n1 1 1\n", "expected 3 integers"),
        ("1 1\n", "found 2 fields"),
        ("1 x 1\n", "expected 3 integers"),
        ("0 1 1\n", ">= 1"),
        ("1" * 5000 + "\n", "header longer"),
    ]:
        path.write_text(text)
        with pytest.raises(DataFormatError, match=match) as info:
            read_fann_data(path)
        assert info.value.line == 1
