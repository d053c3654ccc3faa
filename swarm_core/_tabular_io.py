"""Tables in: CSV / TSV, JSON Lines, NumPy ``.npy`` / ``.npz``, Parquet and inline tables, read
into typed columns (`Table`) that `swarm_core._tabular` turns into network inputs.

Parsing is done by well-kept parsers, never a Python loop per cell: pyarrow's streaming CSV,
JSON and Parquet readers when pyarrow is installed (the ``ruv-swarm-mcp[tabular]`` extra; a
large all-number CSV is cut at line breaks into pieces parsed on every core at once),
otherwise the stdlib ``csv`` module (C, one Python step per row) with column-wise conversion by
NumPy, and ``numpy.load`` for NumPy files. Parquet needs pyarrow.

Error messages name the line and the problem but never repeat what the file holds (cells or
header text): the caller may point this reader at a file it does not own. Column names the
user typed (target, features) are the only names echoed.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from swarm_core._exceptions import LimitExceededError, ValidationError
from swarm_core._limits import TABLE_FORMATS

ColumnKind = Literal["numeric", "boolean", "string"]
# what a cell may say to mean "no value"; matched after trimming surrounding whitespace
MISSING_TOKENS = (
    "",
    "NA",
    "N/A",
    "n/a",
    "na",
    "NaN",
    "nan",
    "NAN",
    "null",
    "NULL",
    "Null",
    "None",
    "none",
    "?",
)
TRUE_TOKENS = ("true", "True", "TRUE")
FALSE_TOKENS = ("false", "False", "FALSE")
_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".npy": "npy",
    ".npz": "npz",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_SNIFF_BYTES = 256 * 1024
_SNIFF_ROWS = 50
# pyarrow parses a block per thread; 1 MiB blocks stay in cache (16 MiB took 1.6x the CPU time)
_ARROW_BLOCK = 1024 * 1024
# an all-number CSV larger than this is parsed as pieces of this size, several at once
PIECE_BYTES = 4 * 1024 * 1024
_MAX_PIECE_THREADS = 8
_CSV_CHUNK_ROWS = 65_536
_DELIMITERS = ",\t;|"
_ARROW_COLUMN_ERROR = re.compile(r"In CSV column #(\d+)")
PARQUET_NEEDS = "reading Parquet needs pyarrow: pip install 'ruv-swarm-mcp[tabular]'"


@dataclass(frozen=True, slots=True)
class TableLimits:
    """What a table may hold; every bound is checked before the work it bounds, or as soon as a
    streaming reader passes it."""

    max_rows: int
    max_columns: int
    max_cells: int
    max_file_bytes: int


@dataclass(slots=True)
class Column:
    """One column. numeric / boolean: ``values`` float32 with NaN where a cell is missing;
    string: ``codes`` int32 into ``levels`` (-1 where missing)."""

    name: str
    kind: ColumnKind
    values: np.ndarray | None = None
    codes: np.ndarray | None = None
    levels: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        arr = self.values if self.values is not None else self.codes
        return 0 if arr is None else int(arr.shape[0])

    def missing(self) -> np.ndarray:
        if self.values is not None:
            mask: np.ndarray = np.isnan(self.values)
            return mask
        assert self.codes is not None
        return self.codes < 0

    def take(self, idx: np.ndarray) -> Column:
        return Column(
            self.name,
            self.kind,
            None if self.values is None else self.values[idx],
            None if self.codes is None else self.codes[idx],
            self.levels,
        )


@dataclass(slots=True)
class Table:
    columns: list[Column]
    source: str

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def take(self, idx: np.ndarray) -> Table:
        return Table([c.take(idx) for c in self.columns], self.source)


def _pyarrow() -> Any:
    """pyarrow when installed (tests replace this to exercise the fallback readers)."""
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow


def table_format(path: Path, fmt: str | None) -> str | None:
    """The table format of ``path`` (``fmt`` if given), or None when the name does not say
    (FANN data files are often ``.data``, ``.train`` or ``.test``)."""
    if fmt is not None:
        if fmt not in TABLE_FORMATS:
            raise ValidationError(
                "format", f"unknown table format {fmt!r}; allowed: {', '.join(TABLE_FORMATS)}"
            )
        return fmt
    return _SUFFIX_FORMAT.get(path.suffix.lower())


def read_table(
    path: Path,
    limits: TableLimits,
    *,
    fmt: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
) -> Table:
    """Read the table at ``path`` (already checked to be an allowed, existing file)."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise LimitExceededError(
            "max_table_file_bytes",
            size,
            f"the file is {size} bytes; the limit is max_table_file_bytes={limits.max_file_bytes}",
        )
    kind = table_format(path, fmt) or "csv"
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise ValidationError(
            "delimiter", "delimiter must be one character (not a quote or newline)"
        )
    if kind in ("csv", "tsv"):
        if kind == "tsv" and delimiter is None:
            delimiter = "\t"
        table = _read_csv(path, limits, delimiter, header)
    elif kind == "jsonl":
        table = _read_jsonl(path, limits)
    elif kind == "npy":
        table = _read_npy(path, limits)
    elif kind == "npz":
        table = _read_npz(path, limits)
    else:
        table = _read_parquet(path, limits)
    if not table.columns:
        raise ValidationError("data", "the table has no columns")
    return table


def _check_shape(n_rows: int, n_cols: int, limits: TableLimits) -> None:
    if n_cols > limits.max_columns:
        raise LimitExceededError(
            "max_dataset_features",
            n_cols,
            f"the table has {n_cols} columns; the limit is max_dataset_features={limits.max_columns}",
        )
    if n_rows > limits.max_rows:
        raise LimitExceededError(
            "max_dataset_samples",
            n_rows,
            f"the table has {n_rows} rows or more; the limit is max_dataset_samples={limits.max_rows}",
        )
    if n_rows * n_cols > limits.max_cells:
        raise LimitExceededError(
            "max_table_cells",
            n_rows * n_cols,
            f"the table has {n_rows * n_cols} cells; the limit is max_table_cells={limits.max_cells}",
        )


def _unique_names(names: Sequence[str], where: str) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        name = raw.strip() or f"col{i + 1}"
        if name in seen:
            raise ValidationError("data", f"{where}: column {i + 1} repeats an earlier column name")
        seen.add(name)
        out.append(name)
    return out


# -- CSV / TSV -------------------------------------------------------------------------------------


def _sample_text(path: Path) -> str:
    with path.open("rb") as f:
        raw = f.read(_SNIFF_BYTES)
    full = len(raw) < _SNIFF_BYTES
    if not full:  # drop a partial last line; a multi-byte character may be cut there too
        cut = raw.rfind(b"\n")
        raw = raw[: cut + 1] if cut >= 0 else raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError("data", f"line {line}: the file is not UTF-8 text") from None
    return text


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _sniff(text: str, delimiter: str | None, header: bool | None) -> tuple[str, bool]:
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:65536], delimiters=_DELIMITERS).delimiter
        except csv.Error:
            delimiter = ","
    if header is None:
        rows = list(_rows(text, delimiter, _SNIFF_ROWS + 1))
        header = _looks_like_header(rows, text)
    return delimiter, header


def _rows(text: str, delimiter: str, limit: int) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for i, row in enumerate(reader):
            if i >= limit:
                return
            if row:
                yield row
    except csv.Error:
        return


def _looks_like_header(rows: list[list[str]], text: str) -> bool:
    if not rows:
        return False
    first, rest = rows[0], rows[1:]
    cells = [c.strip() for c in first]
    if any(c in MISSING_TOKENS or _is_number(c) for c in cells):
        return False
    if not rest:
        return True
    for j in range(len(cells)):  # a text label above numbers
        if any(j < len(r) and _is_number(r[j].strip()) for r in rest):
            return True
    try:
        return csv.Sniffer().has_header(text[:65536])
    except csv.Error:
        return True


def _read_csv(path: Path, limits: TableLimits, delimiter: str | None, header: bool | None) -> Table:
    text = _sample_text(path)
    if not text.strip():
        raise ValidationError("data", "the file is empty")
    delimiter, header = _sniff(text, delimiter, header)
    first = next(_rows(text, delimiter, 1), [])
    n_cols = len(first)
    _check_shape(0, n_cols, limits)
    names = _unique_names(first, "the header") if header else [f"col{i + 1}" for i in range(n_cols)]
    pa = _pyarrow()
    if pa is not None:
        return _read_csv_arrow(pa, path, limits, delimiter, header, names, text)
    return _read_csv_stdlib(path, limits, delimiter, header, names)


def _diagnose_csv(path: Path, delimiter: str, header: bool, n_cols: int) -> ValidationError | None:
    """Re-read with the strict stdlib parser to name the first malformed line (the fast path
    does not say where it stopped)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        try:
            for row in reader:
                if row and len(row) != n_cols:
                    return ValidationError(
                        "data",
                        f"line {reader.line_num}: {len(row)} fields, expected {n_cols} "
                        f"(as in the {'header' if header else 'first line'}); "
                        "check the delimiter and the quoting",
                    )
        except csv.Error as exc:
            return ValidationError("data", f"line {reader.line_num}: malformed CSV: {exc}")
    return None


class _ArrowColumns:
    """Arrow columns converted into `Column`s (numbers as float32), batch by batch or from a
    whole table; a column's chunks are released as soon as it is converted."""

    def __init__(self, pa: Any, names: list[str], limits: TableLimits, capacity: int | None = None):
        # capacity: an estimate of the rows; numbers then go straight into preallocated
        # columns (grown if the estimate was short), so each batch's Arrow buffers are released
        # (and reused) batch by batch; pages past the last row are never touched
        self.capacity = capacity
        self.filled: list[np.ndarray | None] = [None] * len(names)
        self.pa = pa
        self.names = names
        self.limits = limits
        self.chunks: list[list[Any]] = [[] for _ in names]
        self.kinds: list[ColumnKind | None] = [None] * len(names)
        self.done: list[Column | None] = [None] * len(names)
        self.rows = 0
        self.has_newline = False

    def add(self, batch: Any) -> None:
        start = self.rows
        self.rows += batch.num_rows
        _check_shape(self.rows, len(self.names), self.limits)
        for j in range(batch.num_columns):
            kind, arr = self._convert(j, batch.column(j))
            if self.capacity is not None and kind != "string" and self.kinds[j] != "string":
                self._put(j, kind, start, [arr])
            else:
                self._add(j, kind, arr)

    def add_numbers(self, piece: list[tuple[ColumnKind, list[np.ndarray]]]) -> None:
        """One piece of an all-number file, as `_read_numbers_in_pieces` converts it: per
        column its kind and its float32 parts."""
        start = self.rows
        self.rows += sum(len(a) for a in piece[0][1]) if piece else 0
        _check_shape(self.rows, len(self.names), self.limits)
        for j, (kind, parts) in enumerate(piece):
            self._put(j, kind, start, parts)

    def _put(self, j: int, kind: ColumnKind, start: int, parts: list[np.ndarray]) -> None:
        self._check_kind(j, kind)
        stop = start + sum(len(a) for a in parts)
        if stop == start:
            return
        buf = self.filled[j]
        if buf is None:
            buf = self.filled[j] = np.empty(max(self.capacity or 0, stop), dtype=np.float32)
            buf[:start] = np.nan  # only if earlier batches had no value (a null column)
        elif stop > buf.shape[0]:  # the estimate of rows was short
            grown = np.empty(max(stop, buf.shape[0] * 3 // 2), dtype=np.float32)
            grown[:start] = buf[:start]
            buf = self.filled[j] = grown
        if len(parts) == 1:
            buf[start:stop] = parts[0]
        else:
            np.concatenate(parts, out=buf[start:stop])

    def add_table(self, table: Any) -> Table:
        """Every column of ``table``, each dropped from it once converted (so the Arrow copy
        and ours overlap by one column, not the whole table)."""
        self.rows = table.num_rows
        _check_shape(self.rows, len(self.names), self.limits)
        for j in range(len(self.names)):
            col = table.column(0)
            table = table.remove_column(0)
            for chunk in col.chunks:
                self._add(j, *self._convert(j, chunk))
            del col
            self._finish_column(j)
        return self.finish("")

    def _convert(self, j: int, arr: Any) -> tuple[ColumnKind, Any]:
        pa = self.pa
        t = arr.type
        if pa.types.is_dictionary(t):
            arr = arr.cast(pa.string())
            t = arr.type
        if pa.types.is_boolean(t):
            return "boolean", arr.cast(pa.float32()).to_numpy(zero_copy_only=False)
        if t == pa.float32():  # the CSV readers' numbers: no cast call per chunk
            return "numeric", arr.to_numpy(zero_copy_only=False)
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t):
            return "numeric", arr.cast(pa.float32()).to_numpy(zero_copy_only=False)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            import pyarrow.compute as pc  # here: an all-number file never needs it (0.15 s)

            if not self.has_newline and pc.any(pc.match_substring(arr, "\n")).as_py():
                self.has_newline = True
            return "string", pc.utf8_trim_whitespace(arr)
        if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            raise ValidationError(
                "data", f"column {j + 1} holds nested or binary values; only scalars are supported"
            )
        return "string", arr.cast(pa.string())  # dates, times, decimals: as their text

    def _add(self, j: int, kind: ColumnKind, arr: Any) -> None:
        self._check_kind(j, kind)  # text after numbers is refused here: nothing is preallocated
        self.chunks[j].append(arr)

    def _check_kind(self, j: int, kind: ColumnKind) -> None:
        prev = self.kinds[j]
        if prev is None or prev == kind:
            self.kinds[j] = kind
        elif {prev, kind} == {"numeric", "boolean"}:
            self.kinds[j] = "numeric"
        else:
            raise ValidationError(
                "data", f"column {j + 1} changes between numbers and text part-way through the file"
            )

    def _finish_column(self, j: int) -> None:
        pa = self.pa
        chunks, self.chunks[j] = self.chunks[j], []
        name, kind = self.names[j], self.kinds[j] or "numeric"
        filled, self.filled[j] = self.filled[j], None
        if filled is not None and not chunks:
            self.done[j] = Column(name, kind, values=filled[: self.rows])
            return
        if kind != "string":
            if len(chunks) == 1:
                values = np.asarray(chunks[0], dtype=np.float32)
            else:
                values = np.concatenate(chunks) if chunks else np.empty(0, np.float32)
            del chunks
            self.done[j] = Column(name, kind, values=values.astype(np.float32, copy=False))
            return
        import pyarrow.compute as pc

        arr = pa.chunked_array(chunks, type=pa.string())
        arr = pc.if_else(pc.is_in(arr, value_set=pa.array(MISSING_TOKENS)), None, arr)
        enc = pc.dictionary_encode(arr).combine_chunks()
        codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
        self.done[j] = retyped(
            Column(name, "string", codes=codes, levels=enc.dictionary.to_pylist())
        )

    def finish(self, source: str) -> Table:
        for j in range(len(self.names)):
            if self.done[j] is None:
                self._finish_column(j)
        return Table([c for c in self.done if c is not None], source)


def _padded(sample: str, delimiter: str) -> bool:
    """Whether the first rows have cells with surrounding spaces ("a, b, c" files)."""
    rows = list(_rows(sample, delimiter, _SNIFF_ROWS + 1))[1:]
    return any(c != c.strip() for r in rows for c in r)


def _rows_estimate(path: Path, sample: str, limit: int) -> int:
    """The rows to preallocate: the file size over the sample's mean line length, with a
    margin. A short estimate only costs growing the columns; a long one reserves address space
    that is never touched (counting the lines cost 0.3-0.4 s on a 390 MiB file)."""
    lines = sample.count("\n")
    if not lines:
        return 1024
    per_line = len(sample.encode()) / lines
    return min(int(path.stat().st_size / per_line * 1.25) + 1024, limit + 1)


def retyped(col: Column) -> Column:
    """A text column whose every level reads as a number (" 53" once trimmed) or a boolean,
    as that kind; converted level by level, not cell by cell."""
    if col.kind != "string" or not col.levels:
        return col
    assert col.codes is not None
    levels = np.asarray(col.levels, dtype=str)
    try:
        lut = levels.astype(np.float32)
    except ValueError:
        if not np.isin(levels, TRUE_TOKENS + FALSE_TOKENS).all():
            return col
        lut = np.isin(levels, TRUE_TOKENS).astype(np.float32)
        kind: ColumnKind = "boolean"
    else:
        kind = "numeric"
    values = np.append(lut, np.float32(np.nan))[col.codes]
    return Column(col.name, kind, values=values)


def _read_csv_arrow(
    pa: Any,
    path: Path,
    limits: TableLimits,
    delimiter: str,
    header: bool,
    names: list[str],
    sample: str,
) -> Table:
    import pyarrow.csv as pcsv

    convert = {
        "null_values": list(MISSING_TOKENS),
        "strings_can_be_null": True,
        "quoted_strings_can_be_null": False,
        "true_values": list(TRUE_TOKENS),
        "false_values": list(FALSE_TOKENS),
        "timestamp_parsers": [],
    }
    parse_opts = pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)

    def read_opts(block: int) -> Any:
        return pcsv.ReadOptions(
            column_names=names, skip_rows=1 if header else 0, block_size=block, encoding="utf8"
        )

    capacity = _rows_estimate(path, sample, limits.max_rows)
    padded = _padded(sample, delimiter)
    column_types: dict[str, Any] = {}
    source = "tsv" if delimiter == "\t" else "csv"
    # types are inferred from the first block (read once, alone); a column that turns out to
    # hold text further down is read again as text (at most once per column)
    for _attempt in range(len(names) + 2):
        try:
            if not column_types:
                with pcsv.open_csv(
                    path,
                    read_options=read_opts(1 << 20),
                    parse_options=parse_opts,
                    convert_options=pcsv.ConvertOptions(**convert),
                ) as probe:
                    column_types = _fixed_types(pa, probe.schema, padded)
                continue
            options = pcsv.ConvertOptions(column_types=column_types, **convert)
            if path.stat().st_size > PIECE_BYTES and not any(
                t == pa.string() for t in column_types.values()
            ):
                acc = _ArrowColumns(pa, names, limits, capacity)
                done = _read_numbers_in_pieces(pa, path, acc, header, parse_opts, options)
                # the pieces' freed buffers go back to the OS before the caller encodes
                pa.system_memory_pool().release_unused()
                if done:
                    return acc.finish(source)
            acc = _ArrowColumns(pa, names, limits, capacity)
            with pcsv.open_csv(
                path,
                read_options=read_opts(_ARROW_BLOCK),
                parse_options=parse_opts,
                convert_options=options,
                memory_pool=pa.system_memory_pool(),
            ) as reader:
                for batch in reader:
                    acc.add(batch)
            result = acc.finish(source)
            if acc.has_newline:
                # pyarrow reads an unclosed quote to the end of the file as one cell; a value
                # with a line break is checked by the strict parser (legitimate ones pass)
                err = _diagnose_csv(path, delimiter, header, len(names))
                if err is not None:
                    raise err
            return result
        except pa.ArrowException as exc:  # its text may quote the file: never passed on
            if "UTF8" in str(exc) or "UTF-8" in str(exc):
                raise ValidationError("data", "the file is not UTF-8 text") from None
            m = _ARROW_COLUMN_ERROR.search(str(exc))
            if m is not None and "conversion error" in str(exc):
                j = int(m.group(1))
                if 0 <= j < len(names) and column_types.get(names[j]) != pa.string():
                    column_types[names[j]] = pa.string()
                    continue
            raise _diagnose_csv(path, delimiter, header, len(names)) or ValidationError(
                "data", "the CSV file could not be parsed (no single line is at fault)"
            ) from None
        except UnicodeDecodeError:
            raise ValidationError("data", "the file is not UTF-8 text") from None
    raise ValidationError("data", "the CSV file could not be parsed")


def _read_numbers_in_pieces(
    pa: Any, path: Path, acc: _ArrowColumns, header: bool, parse_opts: Any, options: Any
) -> bool:
    """An all-number file (every column float32 or boolean), cut at line breaks into pieces
    that pyarrow parses in several threads at once (its streaming reader parses on one core;
    the parse releases the GIL), each piece copied into ``acc`` in file order. False, with
    ``acc`` to be discarded, when a quote stands after the header: only then could a line break
    be inside a value, and the caller reads the file in one pass instead. pyarrow errors
    propagate as from the one-pass reader."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    import pyarrow.csv as pcsv

    def parse(data: bytes, first: bool) -> list[tuple[ColumnKind, list[np.ndarray]]] | None:
        body = data
        if first and header:
            cut = data.find(b"\n") + 1
            if not _header_line_closed(data[:cut]):
                return None
            body = memoryview(data)[cut:]  # type: ignore[assignment]
        if b'"' in body:
            return None
        read_opts = pcsv.ReadOptions(
            column_names=acc.names,
            skip_rows=1 if first and header else 0,
            block_size=_ARROW_BLOCK,
            use_threads=False,  # the pieces are the threads
            encoding="utf8",
        )
        t = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=read_opts,
            parse_options=parse_opts,
            convert_options=options,
            memory_pool=pa.system_memory_pool(),
        )
        out: list[tuple[ColumnKind, list[np.ndarray]]] = []
        for j in range(t.num_columns):
            kind: ColumnKind = "boolean" if pa.types.is_boolean(t.schema.types[j]) else "numeric"
            out.append((kind, [acc._convert(j, chunk)[1] for chunk in t.column(j).chunks]))
        return out

    workers = max(1, min(int(pa.cpu_count()), _MAX_PIECE_THREADS))
    pending: deque[Future[Any]] = deque()
    with path.open("rb") as f, ThreadPoolExecutor(workers, thread_name_prefix="csv") as pool:
        try:
            first = True

            def submit() -> bool:
                nonlocal first
                data = f.read(PIECE_BYTES)
                if not data:
                    return False
                data += f.readline()  # a piece ends at a line break
                pending.append(pool.submit(parse, data, first))
                first = False
                return True

            more = True
            while more and len(pending) <= workers:  # one piece queued past the busy threads
                more = submit()
            while pending:
                piece = pending.popleft().result()
                if piece is None:
                    return False
                if more:
                    more = submit()
                acc.add_numbers(piece)
        finally:
            for fut in pending:
                fut.cancel()
    return True


def _header_line_closed(line: bytes) -> bool:
    """Whether a header line holds no quote, or quotes that close within it (a quoted line
    break in a column name would carry the header into the next piece)."""
    if b'"' not in line:
        return True
    try:
        rows = list(csv.reader(io.StringIO(line.decode("utf-8-sig", "replace")), strict=True))
    except csv.Error:
        return False
    return len(rows) == 1


def _fixed_types(pa: Any, schema: Any, padded: bool = False) -> dict[str, Any]:
    """float32 for every numeric (or still empty) column, so a later block never fails on an
    int column meeting a decimal point, and the numbers arrive at their final width."""
    out: dict[str, Any] = {}
    for f in schema:
        t = f.type
        if padded:  # " 53": pyarrow converts before trimming; numbers are found per level later
            out[f.name] = pa.string()
            continue
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t):
            out[f.name] = pa.float32()
        elif pa.types.is_boolean(t):
            out[f.name] = pa.bool_()
        else:
            out[f.name] = pa.string()
    return out


def _read_numbers_loadtxt(
    path: Path, limits: TableLimits, delimiter: str, header: bool, names: list[str]
) -> Table | None:
    """An all-number file without gaps through NumPy's C ``loadtxt``, in chunks of rows; None
    as soon as a cell is not a number (or empty): the csv-module reader takes over."""
    n_cols = len(names)
    parts: list[np.ndarray] = []
    n_rows = 0
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            if header:
                f.readline()
            while True:
                lines = list(itertools.islice(f, _CSV_CHUNK_ROWS))
                if not lines:
                    break
                block = np.loadtxt(
                    lines,
                    delimiter=delimiter,
                    dtype=np.float32,
                    ndmin=2,
                    quotechar='"',
                    comments=None,
                )
                if block.shape[0] and block.shape[1] != n_cols:
                    return None
                n_rows += block.shape[0]
                _check_shape(n_rows, n_cols, limits)
                parts.append(block)
    except (ValueError, UnicodeDecodeError):
        return None
    x = np.concatenate(parts) if parts else np.empty((0, n_cols), np.float32)
    del parts
    cols = [
        Column(name, "numeric", values=np.ascontiguousarray(x[:, j]))
        for j, name in enumerate(names)
    ]
    return Table(cols, "tsv" if delimiter == "\t" else "csv")


def _read_csv_stdlib(
    path: Path, limits: TableLimits, delimiter: str, header: bool, names: list[str]
) -> Table:
    fast = _read_numbers_loadtxt(path, limits, delimiter, header, names)
    if fast is not None:
        return fast
    n_cols = len(names)
    parts: list[list[np.ndarray]] = [[] for _ in names]
    n_rows = 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        chunk: list[list[str]] = []
        try:
            if header:
                next(reader, None)
            for row in reader:
                if not row:
                    continue
                if len(row) != n_cols:
                    raise ValidationError(
                        "data",
                        f"line {reader.line_num}: {len(row)} fields, expected {n_cols} "
                        f"(as in the {'header' if header else 'first line'}); "
                        "check the delimiter and the quoting",
                    )
                chunk.append(row)
                if len(chunk) == _CSV_CHUNK_ROWS:
                    n_rows += len(chunk)
                    _check_shape(n_rows, n_cols, limits)
                    _stash(parts, chunk)
                    chunk = []
        except csv.Error as exc:
            raise ValidationError("data", f"line {reader.line_num}: malformed CSV: {exc}") from None
        except UnicodeDecodeError:
            raise ValidationError("data", "the file is not UTF-8 text") from None
    n_rows += len(chunk)
    _check_shape(n_rows, n_cols, limits)
    if chunk:
        _stash(parts, chunk)
    cols = []
    for j, name in enumerate(names):
        strs, parts[j] = parts[j], []
        cols.append(_column_from_strings(name, np.concatenate(strs) if strs else np.empty(0, str)))
    return Table(cols, "tsv" if delimiter == "\t" else "csv")


def _stash(parts: list[list[np.ndarray]], chunk: list[list[str]]) -> None:
    for j, col in enumerate(zip(*chunk, strict=True)):
        parts[j].append(np.char.strip(np.asarray(col, dtype=str)))


def _column_from_strings(name: str, strs: np.ndarray) -> Column:
    """Numbers, booleans or text from an array of cell strings (NumPy converts, not Python)."""
    missing = np.isin(strs, MISSING_TOKENS)
    present = strs[~missing]
    try:
        parsed = present.astype(np.float32)
    except ValueError:
        parsed = None
    if parsed is not None:
        values = np.full(strs.shape[0], np.nan, np.float32)
        values[~missing] = parsed
        return Column(name, "numeric", values=values)
    if present.size and np.isin(present, TRUE_TOKENS + FALSE_TOKENS).all():
        values = np.full(strs.shape[0], np.nan, np.float32)
        values[~missing] = np.isin(present, TRUE_TOKENS).astype(np.float32)
        return Column(name, "boolean", values=values)
    levels, inverse = np.unique(present, return_inverse=True)
    codes = np.full(strs.shape[0], -1, np.int32)
    codes[~missing] = inverse.astype(np.int32)
    return Column(name, "string", codes=codes, levels=[str(v) for v in levels])


# -- JSON Lines ------------------------------------------------------------------------------------


def _read_jsonl(path: Path, limits: TableLimits) -> Table:
    pa = _pyarrow()
    if pa is not None:
        import pyarrow.json as pjson

        try:
            t = pjson.read_json(
                path,
                read_options=pjson.ReadOptions(block_size=_ARROW_BLOCK),
                parse_options=pjson.ParseOptions(unexpected_field_behavior="infer"),
            )
        except pa.ArrowException:
            t = None  # the line-by-line reader below names the line at fault
        if t is not None:
            _check_shape(t.num_rows, t.num_columns, limits)
            acc = _ArrowColumns(pa, _unique_names(t.column_names, "the records"), limits)
            result = acc.add_table(t)
            result.source = "jsonl"
            return result
    records: list[Any] = []
    with path.open(encoding="utf-8-sig") as f:
        try:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValidationError(
                        "data", f"line {i}: not valid JSON ({exc.msg} at column {exc.colno})"
                    ) from None
                if not isinstance(rec, dict):
                    raise ValidationError(
                        "data", f"line {i}: a JSON Lines record must be an object"
                    )
                records.append(rec)
                if len(records) > limits.max_rows:
                    _check_shape(len(records), 1, limits)
        except UnicodeDecodeError:
            raise ValidationError("data", "the file is not UTF-8 text") from None
    return table_from_records(records, limits, field="data", what="line", first=1)


# -- NumPy -----------------------------------------------------------------------------------------


def _read_npy(path: Path, limits: TableLimits) -> Table:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValidationError("data", f"not a readable .npy file ({type(exc).__name__})") from None
    return _table_from_array(arr, limits, "npy", "col")


def _table_from_array(arr: np.ndarray, limits: TableLimits, source: str, prefix: str) -> Table:
    if arr.dtype.names:  # a structured array: its fields are the columns
        _check_shape(arr.shape[0] if arr.ndim else 1, len(arr.dtype.names), limits)
        return Table([_column_from_array(n, np.asarray(arr[n])) for n in arr.dtype.names], source)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValidationError(
            "data", f"a NumPy table must be 2-D (rows, columns), got {arr.ndim}-D"
        )
    _check_shape(arr.shape[0], arr.shape[1], limits)
    return Table(
        [_column_from_array(f"{prefix}{j + 1}", arr[:, j]) for j in range(arr.shape[1])], source
    )


def _column_from_array(name: str, a: np.ndarray) -> Column:
    if a.ndim != 1:
        raise ValidationError("data", "a NumPy column must be 1-D")
    if a.dtype.kind == "b":
        return Column(name, "boolean", values=a.astype(np.float32))
    if a.dtype.kind in "iuf":
        return Column(name, "numeric", values=np.asarray(a, dtype=np.float32))
    if a.dtype.kind in "US":
        strs = a.astype(str) if a.dtype.kind == "S" else np.asarray(a)
        return _column_from_strings(name, np.char.strip(strs))
    raise ValidationError("data", f"NumPy dtype kind {a.dtype.kind!r} is not supported")


def _read_npz(path: Path, limits: TableLimits) -> Table:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ValidationError("data", f"not a readable .npz file ({type(exc).__name__})") from None
    cols: list[Column] = []
    with archive:
        names = list(archive.files)
        if len(names) > limits.max_columns:
            _check_shape(0, len(names), limits)
        for member in names:
            try:
                arr = archive[member]
            except ValueError:
                raise ValidationError(
                    "data", "an .npz member holds objects; only numbers and text are read"
                ) from None
            sub = _table_from_array(arr, limits, "npz", member)
            if arr.ndim == 1 and not arr.dtype.names:
                sub.columns[0].name = member
            cols.extend(sub.columns)
    lengths = {len(c) for c in cols}
    if len(lengths) > 1:
        raise ValidationError("data", "the .npz members have different numbers of rows")
    _check_shape(lengths.pop() if lengths else 0, len(cols), limits)
    _unique_names([c.name for c in cols], "the .npz archive")
    return Table(cols, "npz")


# -- Parquet ---------------------------------------------------------------------------------------


def _read_parquet(path: Path, limits: TableLimits) -> Table:
    pa = _pyarrow()
    if pa is None:
        raise ValidationError("data", PARQUET_NEEDS)
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        raise ValidationError("data", "not a readable Parquet file") from None
    meta = pf.metadata
    _check_shape(meta.num_rows, meta.num_columns, limits)
    acc = _ArrowColumns(pa, _unique_names(pf.schema_arrow.names, "the Parquet schema"), limits)
    try:
        for batch in pf.iter_batches(batch_size=65_536):
            acc.add(batch)
    except pa.ArrowException:
        raise ValidationError(
            "data", "the Parquet file is damaged (a row group could not be read)"
        ) from None
    return acc.finish("parquet")


# -- inline tables ---------------------------------------------------------------------------------


def table_from_columns_rows(spec: Mapping[str, Any], limits: TableLimits) -> Table:
    """``{"columns": [names], "rows": [[values], ...]}``."""
    names, rows = spec.get("columns"), spec.get("rows")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValidationError("data.columns", "columns must be a list of column names")
    if not isinstance(rows, list):
        raise ValidationError("data.rows", "rows must be a list of rows")
    _check_shape(len(rows), len(names), limits)
    names = _unique_names(names, "data.columns")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(names):
            raise ValidationError(
                f"data.rows[{i}]",
                f"data.rows[{i}]: each row must be a list of {len(names)} values (one per column)",
            )
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return Table(
        [
            column_from_values(n, list(v), f"data.rows[*][{j}]")
            for j, (n, v) in enumerate(zip(names, cols, strict=True))
        ],
        "inline",
    )


def table_from_records(
    records: Sequence[Any],
    limits: TableLimits,
    *,
    field: str = "data",
    what: str = "record",
    first: int = 0,
) -> Table:
    """``[{"col": value, ...}, ...]``: columns in first-seen order, absent keys missing."""
    _check_shape(len(records), 0, limits)
    order: dict[str, None] = {}
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValidationError(
                field, f"{field}: {what} {i + first} must be an object of column values"
            )
        for k in rec:
            if k not in order:
                if len(order) >= limits.max_columns:
                    _check_shape(0, len(order) + 1, limits)
                order[str(k)] = None
    names = list(order)
    _check_shape(len(records), len(names), limits)
    return Table(
        [column_from_values(n, [rec.get(n) for rec in records], f"{field}[*].{n}") for n in names],
        "records" if what == "record" else "jsonl",
    )


def column_from_values(name: str, values: list[Any], where: str) -> Column:
    """A column from JSON scalars: numbers, booleans, strings, null (missing)."""
    n = len(values)
    present = [
        (i, v)
        for i, v in enumerate(values)
        if v is not None and not (isinstance(v, str) and v.strip() in MISSING_TOKENS)
    ]
    types = {type(v) for _, v in present}
    if types - {bool, int, float, str}:
        raise ValidationError(where, f"{where}: values must be numbers, booleans, strings or null")
    idx = np.fromiter((i for i, _ in present), dtype=np.int64, count=len(present))
    if types <= {bool} and types:
        values_arr = np.full(n, np.nan, np.float32)
        values_arr[idx] = np.fromiter((float(v) for _, v in present), np.float32, len(present))
        return Column(name, "boolean", values=values_arr)
    if types <= {int, float, bool}:
        values_arr = np.full(n, np.nan, np.float32)
        if present:
            values_arr[idx] = np.asarray([v for _, v in present], dtype=np.float64)
        if np.isinf(values_arr).any():
            raise ValidationError(where, f"{where}: values must be finite numbers")
        return Column(name, "numeric", values=values_arr)
    strs = np.full(n, "", dtype=object)
    for i, v in present:
        strs[i] = _as_text(v)
    return _column_from_strings(name, np.char.strip(strs.astype(str)))


def _as_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
