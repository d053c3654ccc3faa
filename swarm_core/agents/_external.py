"""external agents: slots for work the client does (an LLM sub-agent), e.g. coder, tester,
reviewer, documenter.

The engine never runs a handler for them: a task assigned to an external agent waits (status
`running`, event `task_awaiting_external`) until the client calls `complete_external_task` with a
result or an error. This module shapes what such a task carries so the client can act on it:
the role the agent was spawned as, the instructions, and - in a pipeline - the previous
stage's result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swarm_core._exceptions import ValidationError
from swarm_core._types import AgentInfo

MAX_INSTRUCTION_CHARS = 100_000


def external_payload(
    task: Mapping[str, Any],
    agent: AgentInfo,
    *,
    stage: int | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload of an external task: the task's fields plus `role`, and for pipelines the
    stage number and the previous stage's result (None for the first stage)."""
    description = task.get("description", task.get("instructions"))
    if not isinstance(description, str) or not description.strip():
        raise ValidationError(
            "task.description", "an external task needs a description (what the client should do)"
        )
    if len(description) > MAX_INSTRUCTION_CHARS:
        raise ValidationError(
            "task.description",
            f"description is {len(description)} characters; the limit is {MAX_INSTRUCTION_CHARS}",
        )
    out = {k: v for k, v in task.items() if k != "instructions"}
    out["description"] = description
    out["role"] = agent.role
    out["agent_name"] = agent.name
    if stage is not None:
        out["stage"] = stage
        out["previous"] = None if previous is None else dict(previous)
    return out
