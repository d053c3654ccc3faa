"""Trained networks: stored with metadata and training history, cached for fast prediction,
exported/imported as native bytes or FANN text, and the dataset loader handlers train on."""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
import time
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from swarm_core import _convert as conv
from swarm_core._core import EngineCore
from swarm_core._exceptions import LimitExceededError, NotFoundError, ValidationError
from swarm_core._ids import new_id
from swarm_core._paths import DataRoots, allowed_data_file
from swarm_core._types import ModelInfo
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT

MODEL_FORMATS = ("native", "fann")
# the table preprocessing of a model, as an extra member of its native (npz) export
TABULAR_MEMBER = "tabular.json"
_KNOWN_META = ("name", "layers", "activations", "algorithm", "metrics", "history", "is_classifier")


class ModelOps(EngineCore):
    _model_cache: OrderedDict[str, tuple[Any, dict[str, Any]]]

    def _cache_put(self, model_id: str, net: Any, meta: dict[str, Any]) -> None:
        if self.config.model_cache_size == 0:
            return
        self._model_cache[model_id] = (net, meta)
        self._model_cache.move_to_end(model_id)
        while len(self._model_cache) > self.config.model_cache_size:
            self._model_cache.popitem(last=False)

    def _count_weights(self, net: Any) -> int:
        n = getattr(net, "n_connections", None)
        return int(n) if isinstance(n, int) else 0

    async def _save_model(
        self,
        swarm_id: str,
        net: Any,
        meta: Mapping[str, Any],
        *,
        agent_id: str | None = None,
        task_id: str | None = None,
        event: str = "model_saved",
    ) -> ModelInfo:
        self._check_open()
        self._swarm(swarm_id)
        n_weights = self._count_weights(net)
        if n_weights > self.config.max_network_weights:
            raise LimitExceededError(
                "max_network_weights",
                n_weights,
                f"network has {n_weights} weights; the limit is max_network_weights={self.config.max_network_weights}",
            )
        blob: bytes = await self._pool.run(net.to_bytes)
        layers = [int(x) for x in meta.get("layers") or list(getattr(net, "layer_sizes", ()))]
        extra = {k: v for k, v in meta.items() if k not in _KNOWN_META}
        self._json_size("meta", extra, self.config.max_payload_bytes, "max_payload_bytes")
        mid = new_id("model")
        info = ModelInfo(
            id=mid,
            swarm_id=swarm_id,
            agent_id=agent_id,
            task_id=task_id,
            name=str(meta.get("name") or mid)[: self.config.max_name_length],
            layers=layers,
            activations=[str(a) for a in meta.get("activations") or []],
            algorithm=meta.get("algorithm"),
            created_at=time.time(),
            metrics=dict(meta.get("metrics") or {}),
            history=dict(meta.get("history") or {}),
            is_classifier=bool(meta.get("is_classifier", False)),
            n_inputs=int(getattr(net, "n_inputs", layers[0] if layers else 0)),
            n_outputs=int(getattr(net, "n_outputs", layers[-1] if layers else 0)),
            size_bytes=len(blob),
            extra=extra,
        )
        row = {**info.model_dump(), "seq": self._next_seq("model"), "weights": blob}
        self._writer.row("model", INSERT, row)
        batch = self._emit(
            event, swarm_id, mid, {"name": info.name, "task_id": task_id, "size_bytes": len(blob)}
        )
        self._notify("model", mid)
        await batch.wait()
        self._cache_put(mid, net, self._meta_of(info))
        return info

    @staticmethod
    def _meta_of(info: ModelInfo) -> dict[str, Any]:
        return {**info.extra, **info.model_dump(exclude={"extra"})}

    def _model_row(self, model_id: str, *, weights: bool) -> Any:
        m = TABLES["model"]
        cols = [c for c in m.c if weights or c.name != "weights"]
        row = self._store.read(lambda c: c.execute(select(*cols).where(m.c.id == model_id)).first())
        if row is None:
            raise NotFoundError("model", model_id)
        return row

    async def _load_model(self, model_id: str) -> tuple[Any, dict[str, Any]]:
        hit = self._model_cache.get(model_id)
        if hit is not None:
            self._model_cache.move_to_end(model_id)
            return hit
        import neural

        row = self._model_row(model_id, weights=True)
        net = await self._pool.run(neural.Network.from_bytes, bytes(row.weights))
        meta = self._meta_of(conv.model_from(row))
        self._cache_put(model_id, net, meta)
        return net, meta

    async def get_model(self, model_id: str) -> ModelInfo:
        return conv.model_from(self._model_row(model_id, weights=False))

    async def model_history(self, model_id: str) -> dict[str, Any]:
        info = await self.get_model(model_id)
        return {
            "model_id": model_id,
            "task_id": info.task_id,
            "metrics": info.metrics,
            "history": info.history,
        }

    async def list_models(
        self, swarm_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ModelInfo]:
        self._check_limit_offset(limit, offset)
        m = TABLES["model"]
        q = select(*[c for c in m.c if c.name != "weights"])
        if swarm_id is not None:
            self._swarm(swarm_id)
            q = q.where(m.c.swarm_id == swarm_id)
        q = q.order_by(m.c.seq.desc()).limit(limit).offset(offset)
        return [conv.model_from(r) for r in self._store.read(lambda c: c.execute(q).all())]

    async def export_model(self, model_id: str, format: str = "native") -> bytes | str:
        """native: the `neural` binary (bytes); fann: FANN 2.x `.net` text (str)."""
        if format not in MODEL_FORMATS:
            raise ValidationError(
                "format", f"unknown model format {format!r}; allowed: {', '.join(MODEL_FORMATS)}"
            )
        if format == "native":
            row = self._model_row(model_id, weights=True)
            tab = conv.model_from(row).extra.get("tabular")
            if tab is None:
                return bytes(row.weights)
            return _with_member(bytes(row.weights), TABULAR_MEMBER, json.dumps(tab).encode())
        net, _meta = await self._load_model(model_id)
        return await self._pool.run(_to_fann_text, net)

    async def import_model(
        self, swarm_id: str, content: bytes | str, format: str = "native", name: str | None = None
    ) -> ModelInfo:
        """Store a network given as native bytes (or base64 text) or FANN `.net` text."""
        import neural

        if format not in MODEL_FORMATS:
            raise ValidationError(
                "format", f"unknown model format {format!r}; allowed: {', '.join(MODEL_FORMATS)}"
            )
        self._swarm(swarm_id)
        self._check_name("name", name, required=False)
        size = len(content)
        if size > self.config.max_payload_bytes:
            raise LimitExceededError(
                "max_payload_bytes",
                size,
                f"model content is {size} bytes; the limit is max_payload_bytes={self.config.max_payload_bytes}",
            )
        try:
            if format == "native":
                blob = (
                    base64.b64decode(content, validate=True)
                    if isinstance(content, str)
                    else bytes(content)
                )
                net = await self._pool.run(
                    partial(
                        neural.Network.from_bytes,
                        max_weights=self.config.max_network_weights,
                        max_bytes=self.config.model_bytes_limit(),
                    ),
                    blob,
                )
                tab = _tabular_member(blob)
            else:
                tab = None
                text = content.decode("utf-8") if isinstance(content, bytes) else content
                net = await self._pool.run(_from_fann_text, text, self.config.max_network_weights)
        except neural.LimitError as exc:
            raise self._model_limit(exc) from None
        except (ValueError, TypeError) as exc:
            raise ValidationError("content", f"cannot read {format} model: {exc}") from None
        desc: dict[str, Any] = net.describe() if hasattr(net, "describe") else {}
        meta: dict[str, Any] = {
            "name": name or f"imported-{format}",
            "layers": list(desc.get("layers") or getattr(net, "layer_sizes", ()) or ()),
            "activations": [
                a if isinstance(a, str) else "mixed" for a in (desc.get("activations") or [])
            ],
            "algorithm": None,
            "source_format": format,
        }
        if tab is not None:
            from swarm_core._tabular import Preprocessor

            prep = Preprocessor.from_json(tab)
            if (prep.n_inputs, prep.n_outputs) != (net.n_inputs, net.n_outputs):
                raise ValidationError(
                    "content", "the table preprocessing does not match the network's inputs/outputs"
                )
            meta.update(
                tabular=prep.to_json(),
                is_classifier=prep.task == "classification",
                class_threshold=0.5 if prep.task == "classification" else None,
            )
        return await self._save_model(swarm_id, net, meta, event="model_imported")

    def _model_limit(self, exc: Any) -> LimitExceededError:
        """A `neural.LimitError` from reading model content, in terms of this config."""
        cfg = self.config
        if exc.what == "bytes":
            return LimitExceededError(
                "max_model_bytes",
                exc.value,
                f"content: {exc}; the limit is max_model_bytes={cfg.model_bytes_limit()}",
            )
        return LimitExceededError(
            "max_network_weights",
            exc.value,
            f"content: {exc}; the limit is max_network_weights={cfg.max_network_weights}",
        )

    # -- datasets --------------------------------------------------------------------------------

    async def _data_file(
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
        return await allowed_data_file(spec, self.config.all_data_roots(), roots, field=field)

    async def _load_data(self, spec: Any, roots: DataRoots | None = None) -> Any:
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
            path = await self._data_file(spec, roots)
            from swarm_core._tabular_io import table_format

            if table_format(path, None) is not None:
                raise ValidationError(
                    "target", f"a {path.suffix or 'table'} file needs target: the column to predict"
                )
            try:
                # the limits go to the reader: it checks them from stat and the header, before
                # it reads (and allocates for) the body
                cfg = self.config
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
        cfg = self.config
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

        cfg = self.config
        return TableLimits(
            max_rows=cfg.max_dataset_samples,
            max_columns=cfg.max_dataset_features,
            max_cells=cfg.max_table_cells,
            max_file_bytes=cfg.max_table_file_bytes,
        )

    def prep_limits(self) -> Any:
        from swarm_core._tabular import PrepLimits

        cfg = self.config
        return PrepLimits(
            max_category_levels=cfg.max_category_levels,
            max_classes=cfg.max_classes,
            max_inputs=cfg.max_dataset_features,
        )

    async def _load_table(
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
            path = await self._data_file(spec, roots)
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
        cfg = self.config
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


def _with_member(blob: bytes, name: str, content: bytes) -> bytes:
    """The native archive with one more member (neural's reader ignores members it does not
    know, so the export stays a loadable network)."""
    buf = io.BytesIO(blob)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr(name, content)
    return buf.getvalue()


def _tabular_member(blob: bytes) -> Any:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            if TABULAR_MEMBER not in zf.namelist():
                return None
            raw = zf.read(TABULAR_MEMBER)
        return json.loads(raw.decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(
            "content", "the model's table preprocessing is not readable"
        ) from None


def _to_fann_text(net: Any) -> str:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.net"
        net.save_fann(path)
        return path.read_text(encoding="utf-8")


def _from_fann_text(text: str, max_weights: int) -> Any:
    import neural

    return neural.Network.load_fann_text(text, max_weights=max_weights)
