"""optimizer agents: hyperparameter search across the swarm's neural-processor agents.

optimize payload:
    data             the training data (required; inline or a FANN .data path)
    space            field -> list of values, e.g. {"layers": [[4], [8]], "algorithm": ["rprop",
                     "quickprop"], "learning_rate": [0.3, 0.7]}; random search also takes
                     {"min": a, "max": b, "log": bool} ranges
    search           "grid" (every combination, in order) or "random" (`trials` draws) ("grid")
    trials           number of random draws; a cap on grid size (default 20 / every combination)
    seed             seeds the draws, the weight init and the shared validation split (0)
    validation_split held-out fraction every trial is scored on (0.25)
    epochs, desired_error, activation, ...: passed to every trial unchanged
    agent_ids        the neural-processor agents to use (default: all of the swarm's)

Trials run in parallel, one per agent at a time; each is a real training task on its agent.
The best trial has the lowest validation MSE (ties: lower training MSE, then earlier trial).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from swarm_core._exceptions import ValidationError
from swarm_core._types import AgentType, TaskKind
from swarm_core._work import WorkContext
from swarm_core.agents._concurrency import gather
from swarm_core.agents._payload import get_choice, get_int, need_float, need_int

SEARCHES = ("grid", "random")
MAX_TRIALS = 1_000
MAX_VALUES_PER_FIELD = 100
OWN_FIELDS = ("space", "search", "trials", "agent_ids", "validation_split", "seed")
# fields a trial must not take from the space: they belong to the search itself
RESERVED = ("data", "init_model_id", "validation_split", "split_seed")


def trial_grid(
    space: Mapping[str, Any], search: str, trials: int | None, seed: int
) -> list[dict[str, Any]]:
    """The parameter sets to try, in trial order."""
    if not isinstance(space, Mapping) or not space:
        raise ValidationError("space", "space must map training fields to lists of values")
    for field, values in space.items():
        if field in RESERVED:
            raise ValidationError("space", f"space cannot vary {field!r}")
        if isinstance(values, Mapping):
            if search != "random":
                raise ValidationError(
                    "space", f"space.{field}: ranges need search='random'; grid takes lists"
                )
            lo: Any = values.get("min")
            hi: Any = values.get("max")
            if not (_finite(lo) and _finite(hi) and lo <= hi):
                raise ValidationError("space", f"space.{field} range needs finite min <= max")
            if values.get("log") and lo <= 0:
                raise ValidationError("space", f"space.{field}: a log range needs min > 0")
        elif not isinstance(values, list) or not values or len(values) > MAX_VALUES_PER_FIELD:
            raise ValidationError(
                "space", f"space.{field} must be a list of 1..{MAX_VALUES_PER_FIELD} values"
            )
    fields = list(space)
    if search == "grid":
        combos = [
            dict(zip(fields, c, strict=True))
            for c in itertools.product(*(space[f] for f in fields))
        ]
        if trials is not None:
            combos = combos[:trials]
        if len(combos) > MAX_TRIALS:
            raise ValidationError(
                "trials", f"the grid has {len(combos)} combinations; the limit is {MAX_TRIALS}"
            )
        return combos
    n = 20 if trials is None else trials
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        choice: dict[str, Any] = {}
        for f in fields:
            values = space[f]
            if isinstance(values, Mapping):
                lo, hi = float(values["min"]), float(values["max"])
                if values.get("log"):
                    choice[f] = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
                else:
                    choice[f] = float(rng.uniform(lo, hi))
            else:
                choice[f] = values[int(rng.integers(len(values)))]
        out.append(choice)
    return out


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


async def optimize(ctx: WorkContext, payload: dict[str, Any]) -> dict[str, Any]:
    if "data" not in payload:
        raise ValidationError(
            "data", "data is required: inline {inputs, outputs} or a FANN .data path"
        )
    search = get_choice(payload, "search", "grid", SEARCHES)
    trials_cap = get_int(payload, "trials", None, 1, MAX_TRIALS)
    seed = get_int(payload, "seed", 0, 0, 2**62) or 0
    split = need_float(payload, "validation_split", 0.25, 0.0, 0.9, lo_open=True)
    combos = trial_grid(payload.get("space") or {}, search, trials_cap, seed)
    agents = _agents(ctx, payload)
    base = {k: v for k, v in payload.items() if k not in OWN_FIELDS}
    # every trial scores on the same held-out samples and starts from the same init seed, so
    # the only difference between trials is the hyperparameters
    base.update({"validation_split": split, "split_seed": seed, "seed": seed})
    need_int(base, "epochs", 500, 1, ctx.config.max_epochs)

    pending = list(enumerate(combos))
    results: list[dict[str, Any] | None] = [None] * len(combos)
    finished = 0
    t0 = time.perf_counter()

    async def worker(agent_id: str) -> None:
        nonlocal finished
        while pending:
            i, params = pending.pop(0)
            started = time.perf_counter() - t0
            r = await ctx.dispatch(agent_id, TaskKind.TRAIN, {**base, **params})
            results[i] = {
                "trial": i,
                "params": params,
                "agent_id": agent_id,
                "model_id": r["model_id"],
                "validation_mse": r["validation_mse"],
                "train_mse": r["train_mse"],
                "epochs_run": r["epochs_run"],
                "started_s": round(started, 6),
                "seconds": round(time.perf_counter() - t0 - started, 6),
            }
            finished += 1
            await ctx.report_progress(
                finished / len(combos),
                f"trial {i} on {agent_id}: val mse {r['validation_mse']:.6g}",
            )

    await gather([partial(worker, a) for a in agents[: len(combos)]])
    done = [r for r in results if r is not None]
    best = min(done, key=lambda r: (r["validation_mse"], r["train_mse"], r["trial"]))
    return {
        "search": search,
        "n_trials": len(done),
        "agents": agents,
        "best": best,
        "best_model_id": best["model_id"],
        "trials": done,
        "seconds": round(time.perf_counter() - t0, 6),
    }


def _agents(ctx: WorkContext, payload: Mapping[str, Any]) -> list[str]:
    able = [a.id for a in ctx.agents(AgentType.NEURAL_PROCESSOR, kind=TaskKind.TRAIN)]
    wanted = payload.get("agent_ids")
    if wanted is not None:
        if not isinstance(wanted, list) or not wanted:
            raise ValidationError("agent_ids", "agent_ids must be a non-empty list of agent ids")
        missing = [a for a in wanted if a not in able]
        if missing:
            raise ValidationError(
                "agent_ids", f"not live neural-processor agents of this swarm: {missing}"
            )
        able = list(dict.fromkeys(wanted))
    if not able:
        raise ValidationError(
            "agents",
            f"optimize needs at least one neural-processor agent in swarm {ctx.swarm.id}; spawn one",
        )
    return able
