"""The FANN ``.data`` reader as it was before the streaming one (whole file in memory), kept
for the tests to check that the streaming reader returns the same arrays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from neural import DataFormatError, TrainingData


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
            f"header: expected 3 integers, found {line.strip()!r}", path=path, line=1
        ) from None
    if n < 1 or ni < 1 or no < 1:
        raise DataFormatError(
            f"header: counts must be >= 1, found {n} {ni} {no}", path=path, line=1
        )
    return n, ni, no


def old_read_fann_data(path: str | Path, *, dtype: Any = np.float64) -> TrainingData:
    """Read a FANN ``.data`` file. Raises `DataFormatError` with the offending line number."""
    p = Path(path)
    name = str(p)
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
                        f"expected a number, found {tok!r}", path=name, line=lineno
                    ) from None
        raise
    if not np.all(np.isfinite(values)):
        pos = int(np.argmax(~np.isfinite(values)))
        row, col = divmod(pos, ni + no)
        lineno = body[2 * row + (col >= ni)][0]
        raise DataFormatError(
            f"expected a finite number, found {values[pos]}", path=name, line=lineno
        )
    table = values.reshape(n, ni + no).astype(dtype, copy=False)
    return TrainingData(table[:, :ni], table[:, ni:])
