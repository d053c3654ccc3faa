"""Export a whole swarm as one JSON document and import it back (same ids).

An export carries `checksum`: "sha256:<hex>" over the canonical JSON of every other field
(keys sorted, no whitespace, UTF-8), so it survives re-indenting or re-serialising the file but
not a changed value. Import verifies it and refuses a mismatch naming the field. Exports made
before checksums existed have none: they are imported (unless `require_checksum`), and the
`swarm_imported` event records `"checksum": "absent"` with a warning.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from swarm_core import _convert as conv
from swarm_core._events import EventLog
from swarm_core._exceptions import AlreadyExistsError, ValidationError
from swarm_core._knowledge_ops import KnowledgeService
from swarm_core._live import LiveState
from swarm_core._memory import MemoryService
from swarm_core._models_registry import ModelService
from swarm_core._plumbing import Plumbing
from swarm_core._swarms import SwarmService
from swarm_core._task_service import TaskService
from swarm_core._types import AgentInfo, MemoryEntry, ModelInfo, SwarmInfo, TaskInfo

EXPORT_FORMAT = "ruv-swarm-export"
EXPORT_VERSION = 1
CHECKSUM_PREFIX = "sha256:"

log = logging.getLogger("swarm_core")


def export_checksum(data: Mapping[str, Any]) -> str:
    """The checksum an export carries: sha256 over the canonical JSON of all its fields but
    `checksum` itself."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    try:
        text = json.dumps(
            body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError("data", f"invalid swarm export: not plain JSON ({exc})") from None
    return CHECKSUM_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_export(data: Mapping[str, Any], *, require_checksum: bool = False) -> str:
    """ "verified", or "absent" for an export without a checksum (refused when
    `require_checksum`); ValidationError naming `checksum` when it does not match."""
    given = data.get("checksum")
    if given is None:
        if require_checksum:
            raise ValidationError(
                "checksum", "the export has no checksum field and require_checksum is set"
            )
        return "absent"
    if not isinstance(given, str) or not given.startswith(CHECKSUM_PREFIX):
        raise ValidationError(
            "checksum", f"checksum must be a string {CHECKSUM_PREFIX}<64 hex digits>"
        )
    if given != export_checksum(data):
        raise ValidationError(
            "checksum",
            "checksum mismatch: the export's content does not match its checksum field (the "
            "file was changed or damaged after export); nothing was imported",
        )
    return "verified"


class Transfer:
    """Export/import of a whole swarm: each owner reads (or queues) its own rows; this puts
    them together in one document and one commit."""

    def __init__(
        self,
        plumbing: Plumbing,
        live: LiveState,
        events: EventLog,
        swarms: SwarmService,
        tasks: TaskService,
        models: ModelService,
        knowledge: KnowledgeService,
        memory: MemoryService,
    ) -> None:
        self._p = plumbing
        self._live = live
        self._events = events
        self._swarms = swarms
        self._tasks = tasks
        self._models = models
        self._knowledge = knowledge
        self._memory = memory

    async def export_swarm(self, swarm_id: str) -> dict[str, Any]:
        """Everything of a swarm as JSON: agents, tasks, models (weights base64), memory entries
        tied to the swarm, documents. Reflects every committed change (pending writes are flushed)."""
        swarm = self._live.swarm(swarm_id)
        await self._p.writer.flush()

        def read(conn: Any) -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {}
            out["document"] = KnowledgeService.rows_for_swarm(conn, swarm_id)
            out["model"] = ModelService.rows_for_swarm(conn, swarm_id)
            out["agent"] = SwarmService.agent_rows_for_swarm(conn, swarm_id)
            out["task"] = TaskService.rows_for_swarm(conn, swarm_id)
            out["memory"] = MemoryService.rows_for_swarm(conn, swarm_id)
            return out

        rows = await self._p.read(read)

        def task_json(r: Any) -> dict[str, Any]:
            info = self._tasks.live_info(r.id) or conv.task_from(r)
            return info.model_dump(mode="json")

        out = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": time.time(),
            "swarm": swarm.model_dump(mode="json"),
            "agents": [conv.agent_from(r).model_dump(mode="json") for r in rows["agent"]],
            "tasks": [task_json(r) for r in rows["task"]],
            "models": [
                {
                    **conv.model_from(r).model_dump(mode="json"),
                    "weights_b64": base64.b64encode(r.weights).decode("ascii"),
                }
                for r in rows["model"]
            ],
            "memory": [conv.memory_from(r).model_dump(mode="json") for r in rows["memory"]],
            "documents": [
                {
                    "id": r.id,
                    "title": r.title,
                    "text": r.text,
                    "metadata": r.meta,
                    "created_at": r.created_at,
                }
                for r in rows["document"]
            ],
        }
        out["checksum"] = export_checksum(out)
        return out

    async def import_swarm(
        self, data: dict[str, Any], *, require_checksum: bool = False
    ) -> SwarmInfo:
        """Recreate an exported swarm with its ids. Tasks that were not final come back as
        `interrupted`; agents come back idle (or terminated). The export's checksum is
        verified first (see the module doc; an export without one is accepted unless
        `require_checksum`, and the `swarm_imported` event says so)."""
        self._p.check_open()
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise ValidationError("data", f"not a swarm export (format must be {EXPORT_FORMAT!r})")
        if data.get("version") != EXPORT_VERSION:
            raise ValidationError(
                "version",
                f"unsupported export version {data.get('version')!r}; expected {EXPORT_VERSION}",
            )
        checksum = verify_export(data, require_checksum=require_checksum)
        if checksum == "absent":
            log.warning("importing a swarm export without a checksum: its content is unverified")
        try:
            swarm = SwarmInfo.model_validate(data["swarm"])
            agents = [AgentInfo.model_validate(a) for a in data.get("agents", [])]
            tasks = [TaskInfo.model_validate(t) for t in data.get("tasks", [])]
            models = [
                (
                    ModelInfo.model_validate({k: v for k, v in m.items() if k != "weights_b64"}),
                    base64.b64decode(m["weights_b64"]),
                )
                for m in data.get("models", [])
            ]
            memory = [MemoryEntry.model_validate(m) for m in data.get("memory", [])]
            docs = list(data.get("documents", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("data", f"invalid swarm export: {exc}") from None
        self._swarms.check_importable(swarm, agents)
        ids = [a.id for a in agents] + [t.id for t in tasks] + [m.id for m, _ in models]

        def first_taken(c: Connection) -> str | None:
            return (
                SwarmService.first_taken_id(c, ids)
                or TaskService.first_taken_id(c, ids)
                or ModelService.first_taken_id(c, ids)
            )

        taken = await self._p.read(first_taken)
        self._p.check_open()  # the read awaited: check the live state after it
        if swarm.id in self._live.swarms:
            raise AlreadyExistsError("swarm", swarm.id)
        if taken is not None:
            raise AlreadyExistsError("record", taken)
        if docs:
            self._knowledge.need_fts()
        self._swarms.queue_import(swarm, agents)
        self._tasks.queue_import(tasks)
        self._models.queue_import(models)
        self._memory.queue_import(memory)
        for d in docs:
            self._knowledge.queue_insert(
                {
                    "id": str(d["id"]),
                    "swarm_id": swarm.id,
                    "title": str(d["title"]),
                    "text": str(d["text"]),
                    "meta": dict(d.get("metadata") or {}),
                    "created_at": float(d.get("created_at") or time.time()),
                }
            )
        batch = self._events.emit(
            "swarm_imported",
            swarm.id,
            swarm.id,
            {
                "agents": len(agents),
                "tasks": len(tasks),
                "models": len(models),
                "memory": len(memory),
                "documents": len(docs),
                "checksum": checksum,
                **(
                    {"warning": "the export has no checksum: its content was not verified"}
                    if checksum == "absent"
                    else {}
                ),
            },
        )
        self._events.notify("swarm", swarm.id)
        try:
            await batch.wait()
        except Exception:
            self._live.forget_swarm(swarm.id)
            raise
        return swarm.model_copy()
