"""DatasetLoader: reads the data a task trains or evaluates on (inline rows, FANN .data files,
tables) inside the allowed data roots and the configured dataset limits, on the CPU pool. It
owns no table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from swarm_core._config import EngineConfig
from swarm_core._exceptions import LimitExceededError, ValidationError
from swarm_core._paths import DataRoots, allowed_data_file
from swarm_core._runtime import CpuPool


class DatasetLoader:
    def __init__(self, config: EngineConfig, pool: CpuPool) -> None:
        self._config = config
        self._pool = pool

    async def data_file(
        self, spec: str | os.PathLike[str], roots: DataRoots | None, *, field: str = "data"
    ) -> Path:
        """The resolved path of the user file ``spec``, once it is known to lie inside an
        allowed data root and to be a regular file. Every reader of a user-named file (FANN
        ``.data``, CSV, Parquet, ...) calls this first and opens what it returns.

        The configured roots (`EngineConfig.data_roots`) are tried first, so a path inside
        them never waits for ``roots``; otherwise ``roots`` (the call's: fixed paths or a
        provider, e.g. the MCP client's roots, asked only now) are added. A relative path is
        relative to the first root of that combined list. Refusals are identical for files that
        exist and files that do not (see swarm_core._paths)."""
        return await allowed_data_file(spec, self._config.all_data_roots(), roots, field=field)

    async def load_data(self, spec: Any, roots: DataRoots | None = None) -> Any:
        import neural

        if isinstance(spec, Mapping):
            if "columns" in spec and "rows" in spec:
                raise ValidationError(
                    "target", "an inline table needs target: the column to predict"
                )
            if "inputs" not in spec or "outputs" not in spec:
                raise ValidationError(
                    "data", 'inline data needs "inputs" and "outputs" (lists of rows)'
                )
            xs, ys = spec["inputs"], spec["outputs"]
            if not isinstance(xs, list) or not isinstance(ys, list):
                raise ValidationError("data", "inputs and outputs must be lists of rows")
            self._check_data_size(len(xs), _width(xs), _width(ys))
            try:
                return await self._pool.run(neural.TrainingData, xs, ys)
            except (ValueError, TypeError) as exc:
                raise ValidationError("data", f"invalid inline data: {exc}") from None
        if isinstance(spec, str | os.PathLike):
            path = await self.data_file(spec, roots)
            from swarm_core._tabular_io import table_format

            if table_format(path, None) is not None:
                raise ValidationError(
                    "target", f"a {path.suffix or 'table'} file needs target: the column to predict"
                )
            try:
                # the limits go to the reader: it checks them from stat and the header, before
                # it reads (and allocates for) the body
                cfg = self._config
                data = await self._pool.run(
                    partial(
                        neural.read_fann_data,
                        dtype="float32",
                        max_samples=cfg.max_dataset_samples,
                        max_features=cfg.max_dataset_features,
                        max_values=cfg.max_dataset_values,
                    ),
                    path,
                )
            except neural.LimitError as exc:
                raise self._data_limit(exc) from None
            except neural.DataFormatError as exc:
                # the parser's messages name a line and what was expected, never the text found
                raise ValidationError("data", f"cannot read FANN data {spec}: {exc}") from None
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise ValidationError("data", f"cannot read FANN data {spec}: {reason}") from None
            except ValueError:
                # any other parser failure may quote the file: say only what was expected
                raise ValidationError(
                    "data", f"cannot read FANN data {spec}: not a valid FANN .data file"
                ) from None
            self._check_data_size(len(data), data.inputs.shape[1], data.outputs.shape[1])
            return data
        if isinstance(spec, list):
            raise ValidationError("target", "records need target: the column to predict")
        raise ValidationError(
            "data",
            'data must be inline {"inputs": [[...]], "outputs": [[...]]} or a FANN .data path',
        )

    def _data_limit(self, exc: Any) -> LimitExceededError:
        """A `neural.LimitError` from a FANN data file, naming the config field."""
        cfg = self._config
        field, limit = {
            "samples": ("max_dataset_samples", cfg.max_dataset_samples),
            "features": ("max_dataset_features", cfg.max_dataset_features),
            "values": ("max_dataset_values", cfg.max_dataset_values),
        }.get(exc.what, ("max_dataset_values", cfg.max_dataset_values))
        if exc.what == "bytes":
            return LimitExceededError(
                field,
                exc.value,
                f"data: {exc} (the size bound follows from max_dataset_samples="
                f"{cfg.max_dataset_samples}, max_dataset_features={cfg.max_dataset_features} "
                f"and max_dataset_values={cfg.max_dataset_values})",
            )
        declares = {
            "samples": f"{exc.value} samples",
            "features": f"{exc.value} values per inputs or outputs line",
            "values": f"{exc.value} values (samples x (inputs + outputs))",
        }.get(exc.what, f"{exc.value} {exc.what}")
        return LimitExceededError(
            field,
            exc.value,
            f"data: the file's header declares {declares}; the limit is {field}={limit}",
        )

    def table_limits(self) -> Any:
        from swarm_core._tabular_io import TableLimits

        cfg = self._config
        return TableLimits(
            max_rows=cfg.max_dataset_samples,
            max_columns=cfg.max_dataset_features,
            max_cells=cfg.max_table_cells,
            max_file_bytes=cfg.max_table_file_bytes,
        )

    def prep_limits(self) -> Any:
        from swarm_core._tabular import PrepLimits

        cfg = self._config
        return PrepLimits(
            max_category_levels=cfg.max_category_levels,
            max_classes=cfg.max_classes,
            max_inputs=cfg.max_dataset_features,
        )

    async def load_table(
        self,
        spec: Any,
        options: Mapping[str, Any] | None = None,
        roots: DataRoots | None = None,
    ) -> Any:
        """A `Table` from a file path (CSV, TSV, JSON Lines, .npy, .npz, Parquet), inline
        ``{"columns": [...], "rows": [[...]]}`` or records ``[{"col": value}, ...]``."""
        from swarm_core import _tabular_io as tio

        opts = dict(options or {})
        limits = self.table_limits()
        if isinstance(spec, list):
            return await self._pool.run(tio.table_from_records, spec, limits)
        if isinstance(spec, Mapping):
            if "columns" in spec and "rows" in spec:
                return await self._pool.run(tio.table_from_columns_rows, spec, limits)
            if "inputs" in spec and "outputs" in spec:
                raise ValidationError(
                    "target",
                    "target names a column of a table; inline inputs/outputs have no columns "
                    '(use {"columns": [...], "rows": [[...]]} or records)',
                )
            raise ValidationError(
                "data", 'an inline table is {"columns": [names], "rows": [[values]]} or records'
            )
        if isinstance(spec, str | os.PathLike):
            path = await self.data_file(spec, roots)
            fmt = opts.get("format")
            if fmt is None and path.suffix.lower() == ".data":
                raise ValidationError(
                    "target",
                    "a FANN .data file has no named columns: train on it without target/features",
                )
            try:
                return await self._pool.run(
                    partial(
                        tio.read_table,
                        path,
                        limits,
                        fmt=fmt,
                        delimiter=opts.get("delimiter"),
                        header=opts.get("header"),
                    )
                )
            except OSError as exc:
                raise ValidationError(
                    "data", f"cannot read {spec}: {exc.strerror or type(exc).__name__}"
                ) from None
        raise ValidationError(
            "data", "a table is a file path, {columns, rows} or a list of records"
        )

    def _check_data_size(self, n: int, n_in: int, n_out: int) -> None:
        cfg = self._config
        if n > cfg.max_dataset_samples:
            raise LimitExceededError(
                "max_dataset_samples",
                n,
                f"dataset has {n} samples; the limit is max_dataset_samples={cfg.max_dataset_samples}",
            )
        if max(n_in, n_out) > cfg.max_dataset_features:
            raise LimitExceededError(
                "max_dataset_features",
                max(n_in, n_out),
                f"dataset rows have {max(n_in, n_out)} values; the limit is max_dataset_features={cfg.max_dataset_features}",
            )
        if n * (n_in + n_out) > cfg.max_dataset_values:
            raise LimitExceededError(
                "max_dataset_values",
                n * (n_in + n_out),
                f"dataset has {n} x ({n_in} + {n_out}) = {n * (n_in + n_out)} values; the limit "
                f"is max_dataset_values={cfg.max_dataset_values}",
            )


def _width(rows: list[Any]) -> int:
    first = rows[0] if rows else []
    return len(first) if isinstance(first, list) else 1
