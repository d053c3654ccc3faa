"""Rows <-> records: the one place that maps table columns to the pydantic models and back."""

from __future__ import annotations

from typing import Any

from swarm_core._types import (
    AgentInfo,
    AgentStatus,
    AgentType,
    Event,
    MemoryEntry,
    ModelInfo,
    Strategy,
    SwarmInfo,
    TaskInfo,
    TaskKind,
    TaskStatus,
    Topology,
)


def swarm_row(s: SwarmInfo, seq: int) -> dict[str, Any]:
    return {
        "id": s.id,
        "seq": seq,
        "name": s.name,
        "topology": s.topology.value,
        "strategy": s.strategy.value,
        "max_agents": s.max_agents,
        "created_at": s.created_at,
    }


def swarm_from(r: Any) -> SwarmInfo:
    return SwarmInfo.model_construct(
        id=r.id,
        name=r.name,
        topology=Topology(r.topology),
        strategy=Strategy(r.strategy),
        max_agents=r.max_agents,
        created_at=r.created_at,
    )


def agent_row(a: AgentInfo, seq: int) -> dict[str, Any]:
    return {
        "id": a.id,
        "seq": seq,
        "swarm_id": a.swarm_id,
        "type": a.type.value,
        "role": a.role,
        "name": a.name,
        "capabilities": list(a.capabilities),
        "cognitive_pattern": a.cognitive_pattern.value if a.cognitive_pattern else None,
        "status": a.status.value,
        "created_at": a.created_at,
        "terminated_at": a.terminated_at,
        "tasks_completed": a.tasks_completed,
        "tasks_failed": a.tasks_failed,
        "current_task_id": a.current_task_id,
        "limits": dict(a.limits),
    }


def agent_state(a: AgentInfo) -> dict[str, Any]:
    """The columns that change after spawn."""
    return {
        "id": a.id,
        "status": a.status.value,
        "terminated_at": a.terminated_at,
        "tasks_completed": a.tasks_completed,
        "tasks_failed": a.tasks_failed,
        "current_task_id": a.current_task_id,
    }


def agent_from(r: Any) -> AgentInfo:
    return AgentInfo.model_construct(
        id=r.id,
        swarm_id=r.swarm_id,
        type=AgentType(r.type),
        role=r.role,
        name=r.name,
        capabilities=list(r.capabilities or []),
        cognitive_pattern=Strategy(r.cognitive_pattern) if r.cognitive_pattern else None,
        status=AgentStatus(r.status),
        created_at=r.created_at,
        terminated_at=r.terminated_at,
        tasks_completed=r.tasks_completed,
        tasks_failed=r.tasks_failed,
        current_task_id=r.current_task_id,
        limits=dict(r.limits or {"max_concurrent_tasks": 1}),
    )


def task_row(t: TaskInfo, seq: int) -> dict[str, Any]:
    return {
        "id": t.id,
        "seq": seq,
        "swarm_id": t.swarm_id,
        "kind": t.kind.value,
        "priority": t.priority,
        "strategy": t.strategy.value if t.strategy else None,
        "parent_id": t.parent_id,
        "depends_on": list(t.depends_on),
        "timeout_seconds": t.timeout_seconds,
        "payload": t.payload,
        "created_at": t.created_at,
        **task_state(t),
    }


def task_state(t: TaskInfo) -> dict[str, Any]:
    """The columns that change while a task moves through its states."""
    return {
        "id": t.id,
        "status": t.status.value,
        "agent_id": t.agent_ids[0] if t.agent_ids else None,
        "agent_ids": list(t.agent_ids),
        "started_at": t.started_at,
        "finished_at": t.finished_at,
        "duration_ms": t.duration_ms,
        "progress": t.progress,
        "progress_message": t.progress_message,
        "result": t.result,
        "error": t.error,
        "attempts": t.attempts,
    }


def task_assigned(t: TaskInfo) -> dict[str, Any]:
    """The columns that change when a task is given to an agent."""
    return {
        "id": t.id,
        "status": t.status.value,
        "agent_id": t.agent_ids[0] if t.agent_ids else None,
        "agent_ids": list(t.agent_ids),
    }


def task_from(r: Any) -> TaskInfo:
    return TaskInfo.model_construct(
        id=r.id,
        swarm_id=r.swarm_id,
        kind=TaskKind(r.kind),
        status=TaskStatus(r.status),
        priority=r.priority,
        strategy=Strategy(r.strategy) if r.strategy else None,
        agent_ids=list(r.agent_ids or []),
        parent_id=r.parent_id,
        depends_on=list(r.depends_on or []),
        timeout_seconds=r.timeout_seconds,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        duration_ms=r.duration_ms,
        progress=r.progress,
        progress_message=r.progress_message,
        result=r.result,
        error=r.error,
        attempts=r.attempts,
        payload=r.payload or {},
    )


def model_from(r: Any) -> ModelInfo:
    return ModelInfo.model_construct(
        id=r.id,
        swarm_id=r.swarm_id,
        agent_id=r.agent_id,
        task_id=r.task_id,
        name=r.name,
        layers=list(r.layers or []),
        activations=list(r.activations or []),
        algorithm=r.algorithm,
        created_at=r.created_at,
        metrics=dict(r.metrics or {}),
        history=dict(r.history or {}),
        is_classifier=bool(r.is_classifier),
        n_inputs=r.n_inputs,
        n_outputs=r.n_outputs,
        size_bytes=r.size_bytes,
        extra=dict(r.extra or {}),
    )


def memory_from(r: Any) -> MemoryEntry:
    return MemoryEntry.model_construct(
        namespace=r.namespace,
        key=r.key,
        value=r.value,
        swarm_id=r.swarm_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        expires_at=r.expires_at,
    )


def event_from(r: Any) -> Event:
    return Event.model_construct(
        id=r.id,
        ts=r.ts,
        swarm_id=r.swarm_id,
        kind=r.kind,
        subject_id=r.subject_id,
        data=r.data or {},
    )
