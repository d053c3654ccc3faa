"""ModelService: owns the `model` table. Trained networks stored with metadata and training
history, cached for fast prediction, exported/imported as native bytes or FANN text."""

from __future__ import annotations

import base64
import io
import json
import tempfile
import time
import zipfile
from collections import OrderedDict
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from swarm_core import _convert as conv
from swarm_core._events import EventLog
from swarm_core._exceptions import LimitExceededError, NotFoundError, ValidationError
from swarm_core._ids import new_id
from swarm_core._live import LiveState
from swarm_core._plumbing import Plumbing
from swarm_core._types import ModelInfo
from swarm_core._validate import check_limit_offset, check_name, json_size
from swarm_core.store._tables import TABLES
from swarm_core.store._writer import INSERT

MODEL_FORMATS = ("native", "fann")
# the table preprocessing of a model, as an extra member of its native (npz) export
TABULAR_MEMBER = "tabular.json"
_KNOWN_META = ("name", "layers", "activations", "algorithm", "metrics", "history", "is_classifier")


class ModelService:
    def __init__(self, plumbing: Plumbing, live: LiveState, events: EventLog) -> None:
        self._p = plumbing
        self._live = live
        self._events = events
        self.config = plumbing.config
        self._pool = plumbing.pool
        self._cache: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()

    def _cache_put(self, model_id: str, net: Any, meta: dict[str, Any]) -> None:
        if self.config.model_cache_size == 0:
            return
        self._cache[model_id] = (net, meta)
        self._cache.move_to_end(model_id)
        while len(self._cache) > self.config.model_cache_size:
            self._cache.popitem(last=False)

    def _count_weights(self, net: Any) -> int:
        n = getattr(net, "n_connections", None)
        return int(n) if isinstance(n, int) else 0

    async def save(
        self,
        swarm_id: str,
        net: Any,
        meta: Mapping[str, Any],
        *,
        agent_id: str | None = None,
        task_id: str | None = None,
        event: str = "model_saved",
    ) -> ModelInfo:
        self._p.check_open()
        self._live.swarm(swarm_id)
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
        json_size("meta", extra, self.config.max_payload_bytes, "max_payload_bytes")
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
        self._p.check_open()  # serialising awaited: the engine may be closing now
        row = {**info.model_dump(), "seq": self._live.next_seq("model"), "weights": blob}
        self._p.writer.row("model", INSERT, row)
        batch = self._events.emit(
            event, swarm_id, mid, {"name": info.name, "task_id": task_id, "size_bytes": len(blob)}
        )
        self._events.notify("model", mid)
        await batch.wait()
        self._cache_put(mid, net, self._meta_of(info))
        return info

    @staticmethod
    def _meta_of(info: ModelInfo) -> dict[str, Any]:
        return {**info.extra, **info.model_dump(exclude={"extra"})}

    async def _row(self, model_id: str, *, weights: bool) -> Any:
        m = TABLES["model"]
        cols = [c for c in m.c if weights or c.name != "weights"]
        q = select(*cols).where(m.c.id == model_id)
        row = await self._p.read(lambda c: c.execute(q).first())
        if row is None:
            raise NotFoundError("model", model_id)
        return row

    async def load(self, model_id: str) -> tuple[Any, dict[str, Any]]:
        hit = self._cache.get(model_id)
        if hit is not None:
            self._cache.move_to_end(model_id)
            return hit
        import neural

        row = await self._row(model_id, weights=True)
        net = await self._pool.run(neural.Network.from_bytes, bytes(row.weights))
        meta = self._meta_of(conv.model_from(row))
        self._cache_put(model_id, net, meta)
        return net, meta

    async def get(self, model_id: str) -> ModelInfo:
        return conv.model_from(await self._row(model_id, weights=False))

    async def swarm_of(self, model_id: str) -> str:
        """The swarm a model belongs to (from the cache when it is there: no read)."""
        cached = self._cache.get(model_id)
        if cached is not None:
            return str(cached[1]["swarm_id"])
        return (await self.get(model_id)).swarm_id

    async def history(self, model_id: str) -> dict[str, Any]:
        info = await self.get(model_id)
        return {
            "model_id": model_id,
            "task_id": info.task_id,
            "metrics": info.metrics,
            "history": info.history,
        }

    async def list_models(
        self, swarm_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ModelInfo]:
        check_limit_offset(self.config, limit, offset)
        m = TABLES["model"]
        q = select(*[c for c in m.c if c.name != "weights"])
        if swarm_id is not None:
            self._live.swarm(swarm_id)
            q = q.where(m.c.swarm_id == swarm_id)
        q = q.order_by(m.c.seq.desc()).limit(limit).offset(offset)
        rows = await self._p.read(lambda c: c.execute(q).all())
        return [conv.model_from(r) for r in rows]

    async def export(self, model_id: str, format: str = "native") -> bytes | str:
        """native: the `neural` binary (bytes); fann: FANN 2.x `.net` text (str)."""
        if format not in MODEL_FORMATS:
            raise ValidationError(
                "format", f"unknown model format {format!r}; allowed: {', '.join(MODEL_FORMATS)}"
            )
        if format == "native":
            row = await self._row(model_id, weights=True)
            tab = conv.model_from(row).extra.get("tabular")
            if tab is None:
                return bytes(row.weights)
            return _with_member(bytes(row.weights), TABULAR_MEMBER, json.dumps(tab).encode())
        net, _meta = await self.load(model_id)
        return await self._pool.run(_to_fann_text, net)

    async def import_(
        self, swarm_id: str, content: bytes | str, format: str = "native", name: str | None = None
    ) -> ModelInfo:
        """Store a network given as native bytes (or base64 text) or FANN `.net` text."""
        import neural

        if format not in MODEL_FORMATS:
            raise ValidationError(
                "format", f"unknown model format {format!r}; allowed: {', '.join(MODEL_FORMATS)}"
            )
        self._live.swarm(swarm_id)
        check_name(self.config, "name", name, required=False)
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
        return await self.save(swarm_id, net, meta, event="model_imported")

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

    # -- per-swarm rows (status, export/import, delete) -------------------------------------------

    def drop_swarm(self, swarm_id: str) -> None:
        """Forget the cached networks of a deleted swarm."""
        for model_id, (_net, meta) in list(self._cache.items()):
            if meta.get("swarm_id") == swarm_id:
                del self._cache[model_id]

    @staticmethod
    def count_for_swarm(conn: Connection, swarm_id: str) -> int:
        m = TABLES["model"]
        return int(conn.execute(select(func.count()).where(m.c.swarm_id == swarm_id)).scalar_one())

    @staticmethod
    def rows_for_swarm(conn: Connection, swarm_id: str) -> list[Any]:
        m = TABLES["model"]
        return list(conn.execute(select(m).where(m.c.swarm_id == swarm_id).order_by(m.c.seq)).all())

    def queue_import(self, models: list[tuple[ModelInfo, bytes]]) -> None:
        for info, blob in models:
            row = {**info.model_dump(), "seq": self._live.next_seq("model"), "weights": blob}
            self._p.writer.row("model", INSERT, row)

    @staticmethod
    def first_taken_id(conn: Connection, ids: list[str]) -> str | None:
        m = TABLES["model"]
        row = conn.execute(select(m.c.id).where(m.c.id.in_(ids))).first()
        return None if row is None else str(row[0])

    @staticmethod
    def delete_swarm_rows(conn: Connection, swarm_id: str) -> int:
        m = TABLES["model"]
        return int(conn.execute(m.delete().where(m.c.swarm_id == swarm_id)).rowcount or 0)


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
