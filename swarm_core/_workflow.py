"""Workflows: a DAG of steps whose parameters reference inputs and earlier steps' outputs.

A workflow spec (JSON)::

    {"inputs": {"data": null, "epochs": 50},          # optional: names with defaults (null = required)
     "steps": [
       {"name": "train", "uses": "train", "with": {"data": "$inputs.data", "epochs": "$inputs.epochs"}},
       {"name": "eval",  "uses": "evaluate", "with": {"model_id": "$steps.train.model_id"}},
       {"name": "note",  "uses": "memory_store",
        "with": {"key": "last", "value": "model ${steps.train.model_id} mse ${steps.eval.mse}"}}],
     "outputs": {"model": "$steps.train.model_id"}}

References: a string that is exactly `$steps.<step>.<path>` or `$inputs.<name>.<path>` is replaced
by the referenced JSON value (any type); `${...}` inside a longer string is interpolated as text;
`$$` escapes a literal `$`. Paths walk dict keys and list indices (`$steps.p.outputs.0.1`).
Dependencies are inferred from `$steps.` references, plus an explicit `depends_on` list. Steps run
as soon as their dependencies finish, independent ones concurrently (bounded by `max_parallel`);
the first failing step cancels the rest and the run fails naming that step.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import anyio

from swarm_core._exceptions import SwarmError, ValidationError

MAX_STEPS_DEFAULT = 200
MAX_PARALLEL_DEFAULT = 8
MAX_PARALLEL_LIMIT = 256
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")
# a whole-string reference: "$steps.train.model_id" / "$inputs.x"
_WHOLE_REF = re.compile(r"^\$(steps|inputs)\.([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)$")
# an embedded reference "${steps.a.b}", or an escaped dollar "$$"
_EMBEDDED = re.compile(r"\$\$|\$\{(steps|inputs)\.([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*)\}")
_MISSING = object()


class WorkflowError(ValidationError):
    """The workflow spec is invalid (names, references, cycles, limits) or cannot be resolved."""

    def __init__(self, message: str) -> None:
        super().__init__("workflow", message)


class WorkflowStepError(SwarmError):
    """A step failed while running; `step` names it and `run` holds what finished before."""

    def __init__(self, step: str, message: str, run: WorkflowRun) -> None:
        super().__init__(f"workflow step {step!r} failed: {message}")
        self.step = step
        self.run = run


@dataclass(frozen=True)
class Reference:
    scope: str  # "steps" | "inputs"
    path: tuple[str, ...]

    def __str__(self) -> str:
        return "$" + ".".join((self.scope, *self.path))


@dataclass(frozen=True)
class WorkflowStep:
    name: str
    uses: str
    params: Mapping[str, Any]
    depends_on: tuple[str, ...]
    agent: str | None = None
    references: tuple[Reference, ...] = ()


@dataclass
class StepRecord:
    name: str
    status: str = "pending"  # pending | running | completed | failed | cancelled
    output: Any = None
    error: str | None = None
    started_ms: float | None = None
    finished_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        duration = (
            None
            if self.started_ms is None or self.finished_ms is None
            else round(self.finished_ms - self.started_ms, 3)
        )
        return {
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "started_ms": self.started_ms,
            "finished_ms": self.finished_ms,
            "duration_ms": duration,
        }


@dataclass
class WorkflowRun:
    order: tuple[str, ...]
    steps: dict[str, StepRecord]
    outputs: dict[str, Any] = field(default_factory=dict)
    max_concurrency: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": list(self.order),
            "steps": {name: rec.to_dict() for name, rec in self.steps.items()},
            "outputs": self.outputs,
            "max_concurrency": self.max_concurrency,
        }


@dataclass(frozen=True)
class Workflow:
    steps: tuple[WorkflowStep, ...]
    order: tuple[str, ...]
    inputs: (
        Mapping[str, Any] | None
    )  # declared inputs -> default (None = required); None = undeclared
    outputs: Mapping[str, Any]
    max_parallel: int

    def step(self, name: str) -> WorkflowStep:
        for s in self.steps:
            if s.name == name:
                return s
        raise WorkflowError(f"no step named {name!r}")

    def levels(self) -> list[list[str]]:
        """Steps grouped by longest dependency distance: each group can run at the same time."""
        level: dict[str, int] = {}
        by_name = {s.name: s for s in self.steps}
        for name in self.order:
            deps = by_name[name].depends_on
            level[name] = 1 + max((level[d] for d in deps), default=-1)
        out: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
        for name in self.order:
            out[level[name]].append(name)
        return out


def parse_workflow(
    spec: Mapping[str, Any],
    *,
    allowed_uses: Iterable[str] | None = None,
    max_steps: int = MAX_STEPS_DEFAULT,
    max_parallel: int = MAX_PARALLEL_DEFAULT,
) -> Workflow:
    """Validate a spec, infer dependencies and order the steps (raises WorkflowError)."""
    if not isinstance(spec, Mapping):
        raise WorkflowError("workflow must be an object with a 'steps' list")
    raw_steps = spec.get("steps")
    if isinstance(raw_steps, Mapping):
        raw_steps = [
            {"name": k, **v} if isinstance(v, Mapping) else v for k, v in raw_steps.items()
        ]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise WorkflowError("workflow.steps must be a non-empty list of step objects")
    if len(raw_steps) > max_steps:
        raise WorkflowError(f"workflow.steps has {len(raw_steps)} steps; the limit is {max_steps}")
    allowed = None if allowed_uses is None else sorted(set(allowed_uses))

    inputs = _parse_inputs(spec.get("inputs"))
    names: list[str] = []
    for i, raw in enumerate(raw_steps):
        if not isinstance(raw, Mapping):
            raise WorkflowError(f"workflow.steps[{i}] must be an object")
        name = raw.get("name", raw.get("id"))
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise WorkflowError(
                f"workflow.steps[{i}].name must match {_NAME_RE.pattern} (got {name!r})"
            )
        if name in names:
            raise WorkflowError(f"workflow.steps[{i}].name {name!r} is used twice")
        names.append(name)

    steps: list[WorkflowStep] = []
    for i, raw in enumerate(raw_steps):
        name = names[i]
        uses = raw.get("uses", raw.get("kind"))
        if not isinstance(uses, str) or not uses:
            raise WorkflowError(f"step {name!r}: 'uses' (the step kind) is required")
        if allowed is not None and uses not in allowed:
            raise WorkflowError(
                f"step {name!r}: unknown step kind {uses!r}; allowed: {', '.join(allowed)}"
            )
        params = raw.get("with", raw.get("params", {}))
        if not isinstance(params, Mapping):
            raise WorkflowError(f"step {name!r}: 'with' must be an object")
        agent = raw.get("agent")
        if agent is not None and not isinstance(agent, str):
            raise WorkflowError(f"step {name!r}: 'agent' must be a string")
        refs = tuple(_collect_refs(params)) + (
            tuple(_collect_refs(agent)) if agent is not None else ()
        )
        deps: list[str] = []
        for ref in refs:
            if ref.scope == "steps":
                target = ref.path[0]
                if target not in names:
                    raise WorkflowError(
                        f"step {name!r} references {ref}, but there is no step {target!r}"
                    )
                if len(ref.path) < 2:
                    raise WorkflowError(
                        f"step {name!r}: reference {ref} must name a field ($steps.<step>.<field>)"
                    )
                if target not in deps:
                    deps.append(target)
            elif inputs is not None and ref.path[0] not in inputs:
                raise WorkflowError(
                    f"step {name!r} references {ref}, but the workflow declares no input "
                    f"{ref.path[0]!r} (declared: {', '.join(sorted(inputs)) or 'none'})"
                )
        explicit = raw.get("depends_on", [])
        if isinstance(explicit, str):
            explicit = [explicit]
        if not isinstance(explicit, list) or not all(isinstance(d, str) for d in explicit):
            raise WorkflowError(f"step {name!r}: depends_on must be a list of step names")
        for d in explicit:
            if d not in names:
                raise WorkflowError(f"step {name!r} depends on unknown step {d!r}")
            if d not in deps:
                deps.append(d)
        steps.append(
            WorkflowStep(
                name=name,
                uses=uses,
                params=dict(params),
                depends_on=tuple(deps),
                agent=agent,
                references=refs,
            )
        )

    outputs = spec.get("outputs", {})
    if not isinstance(outputs, Mapping):
        raise WorkflowError("workflow.outputs must be an object of name -> reference")
    for ref in _collect_refs(outputs):
        if ref.scope == "steps" and ref.path[0] not in names:
            raise WorkflowError(f"workflow.outputs references {ref}, but there is no such step")

    mp = spec.get("max_parallel", max_parallel)
    if not isinstance(mp, int) or isinstance(mp, bool) or not 1 <= mp <= MAX_PARALLEL_LIMIT:
        raise WorkflowError(f"workflow.max_parallel must be in 1..{MAX_PARALLEL_LIMIT}, got {mp!r}")

    order = _topological_order(steps)
    return Workflow(
        steps=tuple(steps), order=order, inputs=inputs, outputs=dict(outputs), max_parallel=mp
    )


def _parse_inputs(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, list):
        raw = dict.fromkeys(raw)
    if not isinstance(raw, Mapping) or not all(isinstance(k, str) for k in raw):
        raise WorkflowError("workflow.inputs must be a list of names or an object name -> default")
    return dict(raw)


def _topological_order(steps: list[WorkflowStep]) -> tuple[str, ...]:
    """Kahn's algorithm, stable in declaration order; a cycle is reported with its path."""
    remaining = {s.name: set(s.depends_on) for s in steps}
    order: list[str] = []
    while remaining:
        ready = [s.name for s in steps if s.name in remaining and not remaining[s.name]]
        if not ready:
            raise WorkflowError(f"workflow has a dependency cycle: {_find_cycle(remaining)}")
        for name in ready:
            del remaining[name]
            order.append(name)
        for deps in remaining.values():
            deps.difference_update(ready)
    return tuple(order)


def _find_cycle(graph: Mapping[str, set[str]]) -> str:
    # every node left has an unfinished dependency, so following any one of them must loop
    node = next(iter(graph))
    seen: list[str] = []
    while node not in seen:
        seen.append(node)
        node = sorted(graph[node])[0]
    cycle = [*seen[seen.index(node) :], node]
    # report in execution direction: a needs b means b -> a
    return " -> ".join(reversed(cycle))


def _collect_refs(value: Any) -> list[Reference]:
    out: list[Reference] = []
    if isinstance(value, str):
        m = _WHOLE_REF.match(value)
        if m:
            out.append(Reference(m.group(1), tuple(m.group(2).split("."))))
        else:
            for em in _EMBEDDED.finditer(value):
                if em.group(1):
                    out.append(Reference(em.group(1), tuple(em.group(2).split("."))))
    elif isinstance(value, Mapping):
        for v in value.values():
            out.extend(_collect_refs(v))
    elif isinstance(value, list | tuple):
        for v in value:
            out.extend(_collect_refs(v))
    return out


def resolve(value: Any, step_outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    """Replace every reference in `value` (nested dicts/lists/strings) by what it points to."""
    if isinstance(value, str):
        m = _WHOLE_REF.match(value)
        if m:
            return _lookup(
                Reference(m.group(1), tuple(m.group(2).split("."))), step_outputs, inputs
            )

        def sub(em: re.Match[str]) -> str:
            if em.group(0) == "$$":
                return "$"
            ref = Reference(em.group(1), tuple(em.group(2).split(".")))
            found = _lookup(ref, step_outputs, inputs)
            return found if isinstance(found, str) else _to_text(found)

        return _EMBEDDED.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: resolve(v, step_outputs, inputs) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, step_outputs, inputs) for v in value]
    return value


def _to_text(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"), default=str)


def _lookup(ref: Reference, step_outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> Any:
    root: Any = step_outputs if ref.scope == "steps" else inputs
    walked: list[str] = [ref.scope]
    node = root
    for part in ref.path:
        walked.append(part)
        nxt: Any = _MISSING
        if isinstance(node, Mapping):
            nxt = node.get(part, _MISSING)
        elif isinstance(node, list | tuple) and re.fullmatch(r"-?\d+", part):
            idx = int(part)
            if -len(node) <= idx < len(node):
                nxt = node[idx]
        if nxt is _MISSING:
            where = "$" + ".".join(walked[:-1])
            have = (
                ", ".join(sorted(map(str, node))[:20])
                if isinstance(node, Mapping)
                else f"a {type(node).__name__}"
                + (f" of length {len(node)}" if isinstance(node, list | tuple) else "")
            )
            raise WorkflowError(
                f"cannot resolve {ref}: {where} has no {part!r} (it has: {have or 'nothing'})"
            )
        node = nxt
    return node


StepExecutor = Callable[[WorkflowStep, dict[str, Any]], Awaitable[Any]]


async def run_workflow(
    workflow: Workflow,
    inputs: Mapping[str, Any] | None,
    execute: StepExecutor,
    *,
    on_step: Callable[[StepRecord], Awaitable[None]] | None = None,
) -> WorkflowRun:
    """Run every step once its dependencies are done; independent steps run concurrently.

    `execute(step, resolved_params)` does the step's work and returns its output (JSON-able);
    the step it receives has its `agent` reference resolved too.
    Raises WorkflowStepError (holding the partial run) when a step or its references fail.
    """
    given = dict(inputs or {})
    if workflow.inputs is not None:
        unknown = sorted(set(given) - set(workflow.inputs))
        if unknown:
            raise WorkflowError(
                f"unknown workflow inputs {unknown}; declared: {sorted(workflow.inputs)}"
            )
        for name, default in workflow.inputs.items():
            if name not in given:
                if default is None:
                    raise WorkflowError(f"workflow input {name!r} is required")
                given[name] = default

    records = {name: StepRecord(name) for name in workflow.order}
    run = WorkflowRun(order=workflow.order, steps=records)
    outputs: dict[str, Any] = {}
    done = {name: anyio.Event() for name in workflow.order}
    limiter = anyio.CapacityLimiter(workflow.max_parallel)
    t0 = time.perf_counter()
    running = 0
    failure: list[WorkflowStepError] = []

    def now_ms() -> float:
        return round((time.perf_counter() - t0) * 1000.0, 3)

    async def run_one(step: WorkflowStep, tg: anyio.abc.TaskGroup) -> None:
        nonlocal running
        rec = records[step.name]
        for dep in step.depends_on:
            await done[dep].wait()
        async with limiter:
            rec.status = "running"
            rec.started_ms = now_ms()
            running += 1
            run.max_concurrency = max(run.max_concurrency, running)
            try:
                params = resolve(step.params, outputs, given)
                if step.agent is not None and "$" in step.agent:
                    step = replace(step, agent=str(resolve(step.agent, outputs, given)))
                result = await execute(step, params)
            except Exception as exc:
                rec.status = "failed"
                rec.error = f"{type(exc).__name__}: {exc}"
                rec.finished_ms = now_ms()
                running -= 1
                if not failure:
                    failure.append(WorkflowStepError(step.name, str(exc), run))
                    failure[0].__cause__ = exc
                tg.cancel_scope.cancel()
                return
            except BaseException:
                running -= 1
                raise
            running -= 1
            rec.status = "completed"
            rec.output = result
            rec.finished_ms = now_ms()
            outputs[step.name] = result
        if on_step is not None:
            await on_step(rec)
        done[step.name].set()

    try:
        async with anyio.create_task_group() as tg:
            for step in workflow.steps:
                tg.start_soon(run_one, step, tg)
    finally:
        for rec in records.values():
            if rec.status in ("pending", "running"):
                rec.status = "cancelled"
    if failure:
        raise failure[0]
    try:
        run.outputs = resolve(dict(workflow.outputs), outputs, given)
    except WorkflowError as exc:
        raise WorkflowStepError("outputs", str(exc), run) from exc
    return run
