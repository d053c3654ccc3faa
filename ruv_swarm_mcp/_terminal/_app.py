"""The `ruv-swarm` commands (click), each a thin layer over one or a few Engine calls."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import click

from ruv_swarm_mcp._terminal._run import (
    PROG,
    USAGE,
    CliError,
    Options,
    pick_swarm,
    run,
    stderr_console,
)
from ruv_swarm_mcp._version import __version__

if TYPE_CHECKING:  # the engine and rich load only when a command runs
    from rich.console import Console

    from swarm_core import Engine

F = TypeVar("F", bound=Callable[..., Any])

TOPOLOGIES = ("mesh", "hierarchical", "ring", "star")
STRATEGIES = ("sequential", "parallel", "divergent", "convergent", "cascade", "mesh")
AGENT_TYPES = (
    "neural-processor",
    "researcher",
    "coordinator",
    "analyst",
    "optimizer",
    "external",
    "coder",
    "tester",
    "reviewer",
    "documenter",
)
AGENT_STATUSES = ("idle", "busy", "terminated")
ALGORITHMS = ("rprop", "quickprop", "batch", "incremental", "sarprop", "cascade")
WORKFLOW_NAMESPACE = "workflow"
MAX_PARALLEL_SPAWN = 1_000
MAX_EXPORT_BYTES = 512 * 1024 * 1024
MAX_PREDICT_BYTES = 64 * 1024 * 1024


def example(*lines: str) -> str:
    # "\b" keeps click from re-wrapping the example lines
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def common(fn: F) -> F:
    """--db and --json on every command (after the command name, where scripts put them)."""
    fn = click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON document on stdout (for scripts)."
    )(fn)
    fn = click.option(
        "--db",
        metavar="PATH|URL",
        default=None,
        help="Store: a SQLite path, ':memory:' or a SQLAlchemy URL (env RUV_SWARM_DB; default: "
        "the MCP server's file, $XDG_DATA_HOME/ruv-swarm-mcp/swarm.db).",
    )(fn)
    return fn


def swarm_option(fn: F) -> F:
    return click.option(
        "--swarm-id", "swarm_id", default=None, help="Swarm to act on (default: the newest)."
    )(fn)


def opts(command: str, db: str | None, as_json: bool) -> Options:
    return Options(command=command, db=db, as_json=as_json)


def dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")  # type: ignore[no-any-return]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=example(
        "ruv-swarm init --topology mesh --max-agents 8",
        "ruv-swarm spawn researcher --knowledge-base docs/",
        "ruv-swarm orchestrate --task 'what limits the queue?'",
        "ruv-swarm list --json | jq '.agents[].id'",
    ),
)
@click.version_option(__version__, prog_name=PROG)
def cli() -> None:
    """Drive, inspect and script a ruv-swarm store from the terminal.

    Every command opens the same store as the MCP server (--db, env RUV_SWARM_DB, or the
    server's default file), takes --json for one JSON document on stdout, and exits 0 (done),
    1 (the work failed) or 2 (bad command line). `ruv-swarm mcp` starts the MCP server.
    """


# -- init -------------------------------------------------------------------------------------


@cli.command(
    epilog=example("ruv-swarm init --topology hierarchical --strategy divergent --name lab")
)
@click.option("--topology", type=click.Choice(TOPOLOGIES), default="mesh", show_default=True)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default="parallel",
    show_default=True,
    help="Default strategy for orchestrated tasks.",
)
@click.option(
    "--max-agents",
    type=click.IntRange(1),
    default=None,
    help="Agent limit of the swarm (default: the engine's, 100).",
)
@click.option("--name", default=None, help="Swarm name (default: its id).")
@common
def init(
    topology: str,
    strategy: str,
    max_agents: int | None,
    name: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Create a swarm."""

    async def body(engine: Engine) -> dict[str, Any]:
        swarm = await engine.create_swarm(name, topology, strategy, max_agents)
        return {"swarm": dump(swarm), "db": engine.config.database_url()}

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import swarms_table

        console.print(swarms_table([doc["swarm"]]))
        console.print(f"store: {doc['db']}")

    run(opts("init", db, as_json), body, render)


# -- spawn ------------------------------------------------------------------------------------


@cli.command(
    epilog=example(
        "ruv-swarm spawn neural-processor --parallel 4",
        "ruv-swarm spawn researcher --name librarian --knowledge-base ./docs",
        "ruv-swarm spawn coordinator --workflow pipeline.yaml",
        "ruv-swarm spawn coder --capabilities python,review",
    )
)
@click.argument("agent_type", metavar="TYPE", type=click.Choice(AGENT_TYPES))
@click.option("--name", default=None, help="Agent name (with --parallel N: NAME-1..NAME-N).")
@click.option("--capabilities", default=None, metavar="a,b", help="Comma-separated capabilities.")
@click.option(
    "--parallel",
    type=click.IntRange(1, MAX_PARALLEL_SPAWN),
    default=1,
    show_default=True,
    help="How many agents to spawn at once.",
)
@click.option("--cognitive-pattern", type=click.Choice(STRATEGIES), default=None)
@click.option(
    "--knowledge-base",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Researchers: a text/markdown file or folder to ingest into the swarm.",
)
@click.option(
    "--max-documents",
    type=click.IntRange(1, 100_000),
    default=1_000,
    show_default=True,
    help="Most files --knowledge-base may ingest.",
)
@click.option(
    "--workflow",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Coordinators: the workflow (YAML or JSON) the agent runs.",
)
@swarm_option
@common
def spawn(
    agent_type: str,
    name: str | None,
    capabilities: str | None,
    parallel: int,
    cognitive_pattern: str | None,
    knowledge_base: Path | None,
    max_documents: int,
    workflow: Path | None,
    swarm_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Add agents to a swarm (researchers can ingest documents, coordinators store a workflow)."""
    from ruv_swarm_mcp._terminal._inputs import parse_csv_list, read_knowledge_base, read_workflow

    if knowledge_base is not None and agent_type != "researcher":
        raise click.UsageError("--knowledge-base is for researcher agents")
    if workflow is not None and agent_type != "coordinator":
        raise click.UsageError("--workflow is for coordinator agents")
    caps = parse_csv_list(capabilities)
    spec = read_workflow(workflow) if workflow is not None else None

    async def body(engine: Engine) -> dict[str, Any]:
        sid = await pick_swarm(engine, swarm_id)
        docs = (
            read_knowledge_base(knowledge_base, max_documents, engine.config.max_document_bytes)
            if knowledge_base is not None
            else []
        )
        status = await engine.swarm_status(sid)
        live = status.agents_total - status.agents_by_status.get("terminated", 0)
        if live + parallel > status.swarm.max_agents:
            raise CliError(
                f"swarm {sid} has {live} of {status.swarm.max_agents} agents; "
                f"--parallel {parallel} would exceed its max_agents"
            )
        spawned: list[Any] = [None] * parallel

        async def one(i: int) -> None:
            label = name if parallel == 1 or name is None else f"{name}-{i + 1}"
            spawned[i] = await engine.spawn_agent(sid, agent_type, label, caps, cognitive_pattern)

        async with anyio.create_task_group() as tg:
            for i in range(parallel):
                tg.start_soon(one, i)
        doc: dict[str, Any] = {"swarm_id": sid, "agents": [dump(a) for a in spawned]}
        if spec is not None:
            for a in spawned:
                await engine.memory_store(
                    WORKFLOW_NAMESPACE,
                    a.id,
                    {"workflow": spec, "file": str(workflow.resolve()) if workflow else None},
                    swarm_id=sid,
                )
            doc["workflow"] = {"steps": len(spec["steps"]), "namespace": WORKFLOW_NAMESPACE}
        if docs:
            doc["documents"] = await _ingest(engine, sid, docs, spawned[0].id, as_json)
        return doc

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import agents_table

        console.print(agents_table(doc["agents"], title=f"spawned in {doc['swarm_id']}"))
        if "workflow" in doc:
            console.print(
                f"workflow stored: {doc['workflow']['steps']} steps "
                f"(memory namespace {WORKFLOW_NAMESPACE!r}, key = agent id)"
            )
        if doc.get("documents"):
            total = sum(d["bytes"] for d in doc["documents"])
            console.print(f"knowledge base: {len(doc['documents'])} documents, {total:,} bytes")

    run(opts("spawn", db, as_json), body, render)


async def _ingest(
    engine: Engine, sid: str, docs: list[Any], agent_id: str, quiet: bool
) -> list[dict[str, Any]]:
    console = stderr_console()
    show = console.is_terminal and not quiet
    out = []
    from rich.progress import Progress

    with Progress(console=console, disable=not show, transient=True) as bar:
        job = bar.add_task("ingesting", total=len(docs))
        for d in docs:
            doc_id = await engine.knowledge_add(
                sid, d.title, d.text, metadata={"source": d.path, "agent_id": agent_id}
            )
            out.append({"id": doc_id, "title": d.title, "bytes": d.size})
            bar.advance(job)
    return out


# -- orchestrate ------------------------------------------------------------------------------


@cli.command(
    epilog=example(
        "ruv-swarm orchestrate --task 'how are tasks retried?'",
        "ruv-swarm orchestrate --strategy divergent --task @train-task.json --wait 120",
        'ruv-swarm orchestrate --task \'{"kind": "workflow", "inputs": {"epochs": 50}}\'',
    )
)
@click.option(
    "--task",
    "task_text",
    required=True,
    metavar="TEXT|@FILE",
    help="Plain text, an inline JSON object, or @file.json.",
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    default=None,
    help="How the task spreads over agents (default: the swarm's).",
)
@click.option(
    "--wait",
    "wait",
    default=None,
    metavar="SECONDS",
    help="Give up waiting after this long (e.g. 90s, 5m); default: until done.",
)
@click.option("--max-agents", type=click.IntRange(1), default=None)
@click.option("--priority", type=click.IntRange(-1000, 1000), default=0, show_default=True)
@click.option(
    "--agent-id",
    default=None,
    help="For a workflow task without a spec: the coordinator whose stored workflow runs.",
)
@click.option(
    "--data-root",
    "data_roots",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Directory the task's files may be read from (repeatable; the current "
    "directory and the task file's directory always are).",
)
@swarm_option
@common
def orchestrate(
    task_text: str,
    strategy: str | None,
    wait: str | None,
    max_agents: int | None,
    priority: int,
    agent_id: str | None,
    data_roots: tuple[Path, ...],
    swarm_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Run a task across the swarm's agents with a strategy, showing its progress."""
    from ruv_swarm_mcp._terminal._inputs import parse_duration, read_task
    from swarm_core import EngineConfig

    wait_s = parse_duration("--wait", wait) if wait is not None else None
    # a malformed task is a usage error, found before any store is opened
    task, task_file = read_task(task_text, EngineConfig.model_fields["max_payload_bytes"].default)

    async def body(engine: Engine) -> dict[str, Any]:
        nonlocal task
        sid = await pick_swarm(engine, swarm_id)
        if isinstance(task, dict) and task.get("kind") == "workflow" and "workflow" not in task:
            task = {**task, "workflow": await _stored_workflow(engine, sid, agent_id)}
        roots = [str(Path.cwd()), *(str(p.resolve()) for p in data_roots)]
        if task_file is not None:
            roots.append(str(task_file.resolve().parent))
        info = await engine.orchestrate(
            sid,
            task,
            strategy=strategy,
            max_agents=max_agents,
            priority=priority,
            wait_seconds=0,
            data_roots=roots,
        )
        info = await _follow(engine, info.id, wait_s, as_json)
        doc = {"swarm_id": sid, "task": dump(info)}
        if not info.status.is_final:
            raise CliError(
                f"task {info.id} did not finish within --wait {wait}: this process runs the "
                "swarm's work, so exiting interrupts it",
                doc=doc,
            )
        if info.status.value != "completed":
            raise CliError(f"task {info.id} {info.status.value}: {info.error}", doc=doc)
        return doc

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import print_task

        print_task(console, doc["task"])

    run(opts("orchestrate", db, as_json), body, render)


async def _stored_workflow(engine: Engine, sid: str, agent_id: str | None) -> dict[str, Any]:
    from swarm_core import NotFoundError

    candidates = (
        [agent_id]
        if agent_id
        else [
            a.id
            for a in reversed(
                await engine.query_agents(
                    swarm_id=sid, type="coordinator", limit=engine.config.max_query_limit
                )
            )
            if a.status.value != "terminated"
        ]
    )
    for aid in candidates:
        try:
            entry = await engine.memory_get(WORKFLOW_NAMESPACE, aid)
        except NotFoundError:
            continue
        value = entry.value
        spec = value.get("workflow") if isinstance(value, dict) else None
        if isinstance(spec, dict):
            return spec
    who = f"coordinator {agent_id}" if agent_id else f"no coordinator of swarm {sid}"
    raise CliError(
        f"{who} has no stored workflow: spawn one with `{PROG} spawn coordinator --workflow "
        "FILE`, or put the spec in the task's 'workflow' field"
    )


async def _follow(engine: Engine, task_id: str, wait_s: float | None, quiet: bool) -> Any:
    """Wait for the task, drawing its progress (status, fraction, message) on a terminal."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr_console()
    deadline = None if wait_s is None else time.monotonic() + wait_s
    with Progress(
        TextColumn("[bold]{task.fields[status]:<9}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[message]}"),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    ) as bar:
        job = bar.add_task(task_id, total=1.0, status="pending", message="")
        while True:
            step = 0.25 if deadline is None else max(0.0, min(0.25, deadline - time.monotonic()))
            info = await engine.wait_task(task_id, timeout=step)
            bar.update(
                job,
                completed=info.progress,
                status=info.status.value,
                message=(info.progress_message or "")[:60],
            )
            if info.status.is_final or (deadline is not None and time.monotonic() >= deadline):
                return info


# -- train / predict / evaluate ---------------------------------------------------------------

_EPOCH = re.compile(r"epoch (\d+)(?:, (\d+) hidden units)?: mse ([-+0-9.eEinfa]+)")


@cli.command(
    epilog=example(
        "ruv-swarm train data/xor.data --layers 4 --epochs 300 --plot curve.png",
        "ruv-swarm train diabetes.csv --target diabetes --layers 32,16 --validation-split 0.2",
    )
)
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layers", default=None, metavar="32,16", help="Hidden layer sizes.")
@click.option(
    "--algorithm",
    type=click.Choice(ALGORITHMS),
    default=None,
    help="Training algorithm (default rprop).",
)
@click.option(
    "--epochs",
    type=click.IntRange(1),
    default=None,
    help="Maximum epochs (default 500; cascade: hidden units to add, 10).",
)
@click.option(
    "--desired-error",
    type=click.FloatRange(0),
    default=None,
    help="Stop once the training MSE is at or below this.",
)
@click.option("--activation", default=None, help="Hidden activation (default sigmoid_symmetric).")
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=None)
@click.option("--validation-split", type=click.FloatRange(0, 0.9), default=None)
@click.option("--target", default=None, help="Table column to predict (CSV, Parquet, JSON Lines).")
@click.option("--seed", type=int, default=None)
@click.option("--name", default=None, help="Model name.")
@click.option("--agent-id", default=None, help="Neural-processor agent to train on.")
@click.option("--timeout", default=None, metavar="SECONDS", help="Task time limit (e.g. 10m).")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the learning curve as a PNG.",
)
@swarm_option
@common
def train(
    data: Path,
    layers: str | None,
    algorithm: str | None,
    epochs: int | None,
    desired_error: float | None,
    activation: str | None,
    learning_rate: float | None,
    validation_split: float | None,
    target: str | None,
    seed: int | None,
    name: str | None,
    agent_id: str | None,
    timeout: str | None,
    plot: Path | None,
    swarm_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Train a network on a data file, with a progress bar and the learning curve."""
    from ruv_swarm_mcp._terminal._inputs import parse_duration, parse_int_list

    hidden = parse_int_list("--layers", layers) if layers is not None else None
    timeout_s = parse_duration("--timeout", timeout, high=7 * 86_400) if timeout else None
    path = data.resolve()
    budget = epochs or (10 if algorithm == "cascade" else 500)
    options: dict[str, Any] = {}
    for key, value in (("target", target), ("name", name), ("learning_rate", learning_rate)):
        if value is not None:
            options[key] = value

    async def body(engine: Engine) -> dict[str, Any]:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        sid = await pick_swarm(engine, swarm_id)
        console = stderr_console()
        curve: list[float] = []
        with Progress(
            TextColumn("epoch {task.fields[epoch]:>6}/{task.fields[budget]}"),
            BarColumn(),
            TextColumn("MSE {task.fields[mse]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            disable=as_json or not console.is_terminal,
            transient=True,
        ) as bar:
            job = bar.add_task("train", total=1.0, epoch=0, budget=budget, mse="-")

            async def progress(fraction: float, _total: float | None, message: str | None) -> None:
                m = _EPOCH.search(message or "")
                fields: dict[str, Any] = {}
                if m is not None:
                    fields = {"epoch": int(m.group(1)), "mse": f"{float(m.group(3)):.6g}"}
                    curve.append(float(m.group(3)))
                bar.update(job, completed=fraction, **fields)

            info = await engine.train(
                sid,
                data=str(path),
                agent_id=agent_id,
                algorithm=algorithm,
                layers=hidden,
                activation=activation,
                epochs=epochs,
                desired_error=desired_error,
                validation_split=validation_split,
                seed=seed,
                progress=progress,
                timeout_seconds=timeout_s,
                data_roots=[str(path)],
                **options,
            )
        task = dump(info)
        result = task.pop("result") or {}
        doc: dict[str, Any] = {"swarm_id": sid, "task": task}
        if info.status.value != "completed":
            raise CliError(f"training task {info.id} {info.status.value}: {info.error}", doc=doc)
        history = result.pop("history", {}) or {}
        doc.update(model_id=result.get("model_id"), metrics=result, history=history)
        if plot is not None:
            from ruv_swarm_mcp._png import learning_curve_png

            try:
                plot.write_bytes(learning_curve_png([history.get("mse") or curve]))
            except OSError as exc:
                raise CliError(f"--plot: cannot write {plot}: {exc.strerror or exc}") from None
            doc["plot"] = str(plot.resolve())
        return doc

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import kv_table, learning_curve

        m = doc["metrics"]
        keep = (
            "model_id",
            "algorithm",
            "layers",
            "epochs_run",
            "final_mse",
            "train_mse",
            "validation_mse",
            "train_error_pct",
            "validation_error_pct",
            "stop_reason",
            "train_seconds",
            "compile_seconds",
            "n_train",
            "n_validation",
        )
        console.print(kv_table("trained", [(k, m[k]) for k in keep if k in m]))
        h = doc.get("history") or {}
        console.print(learning_curve(h.get("epoch") or [], h.get("mse") or []))
        if doc.get("plot"):
            console.print(f"learning curve written to {doc['plot']}")

    run(opts("train", db, as_json), body, render)


@cli.command(
    epilog=example(
        "ruv-swarm predict model-1a2b3c '[[0, 1], [1, 1]]'",
        "ruv-swarm predict model-1a2b3c new-patients.csv --json",
    )
)
@click.argument("model_id", metavar="MODEL")
@click.argument("data", metavar="DATA")
@click.option(
    "--max-bytes",
    type=click.IntRange(1024),
    default=MAX_PREDICT_BYTES,
    show_default=True,
    help="Largest DATA file read.",
)
@common
def predict(model_id: str, data: str, max_bytes: int, db: str | None, as_json: bool) -> None:
    """Run a stored model on rows (inline JSON, .json/.jsonl, CSV/TSV or a FANN file)."""
    from ruv_swarm_mcp._terminal._inputs import read_predict_data

    async def body(engine: Engine) -> dict[str, Any]:
        model = await engine.get_model(model_id)
        args = read_predict_data(data, max_bytes, table_model="tabular" in model.extra)
        out = await engine.predict(model_id, args.get("inputs"), records=args.get("records"))
        return {"model_id": model_id, **out}

    def render(doc: dict[str, Any], console: Console) -> None:
        from rich.table import Table

        from ruv_swarm_mcp._terminal._views import fmt

        title = f"predictions of {doc['model_id']}"
        table = Table(title=title, title_justify="left", min_width=len(title))
        table.add_column("row")
        table.add_column("outputs")
        has_labels = doc.get("labels") is not None
        if has_labels:
            table.add_column("label")
        classes = doc.get("classes")
        for i, row in enumerate(doc["outputs"][:50]):
            cells = [str(i), fmt(row)]
            if has_labels:
                cells.append(str(classes[i] if classes else doc["labels"][i]))
            table.add_row(*cells)
        console.print(table)
        if len(doc["outputs"]) > 50:
            console.print(f"... {len(doc['outputs']) - 50} more rows (use --json for all)")

    run(opts("predict", db, as_json), body, render)


@cli.command(epilog=example("ruv-swarm evaluate model-1a2b3c data/diabetes.test"))
@click.argument("model_id", metavar="MODEL")
@click.argument(
    "data", metavar="DATA", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@common
def evaluate(model_id: str, data: Path, db: str | None, as_json: bool) -> None:
    """Measure a stored model on a dataset (MSE, error rate, confusion matrix, ...)."""
    path = data.resolve()

    async def body(engine: Engine) -> dict[str, Any]:
        out = await engine.evaluate(model_id, str(path), data_roots=[str(path)])
        return {"model_id": model_id, "data": str(path), "metrics": out}

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import kv_table, scalars

        console.print(kv_table(f"{doc['model_id']} on {doc['data']}", scalars(doc["metrics"])))
        cm = doc["metrics"].get("confusion_matrix")
        if isinstance(cm, list):
            console.print("confusion matrix: " + json.dumps(cm))

    run(opts("evaluate", db, as_json), body, render)


# -- list / status / terminate ----------------------------------------------------------------


@cli.command(
    "list",
    epilog=example("ruv-swarm list", "ruv-swarm list --type researcher --status idle --json"),
)
@click.option("--type", "agent_type", type=click.Choice(AGENT_TYPES), default=None)
@click.option("--status", type=click.Choice(AGENT_STATUSES), default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@swarm_option
@common
def list_(
    agent_type: str | None,
    status: str | None,
    limit: int,
    swarm_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """List swarms and their agents."""

    async def body(engine: Engine) -> dict[str, Any]:
        swarms = await engine.list_swarms()
        if swarm_id is not None:
            await engine.get_swarm(swarm_id)
        agents = await engine.query_agents_json(
            swarm_id=swarm_id,
            type=agent_type,
            status=status,
            limit=min(limit, engine.config.max_query_limit),
        )
        return {"swarms": [dump(s) for s in swarms], "agents": agents}

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import agents_table, swarms_table

        if not doc["swarms"]:
            console.print(f"no swarm yet: create one with `{PROG} init`")
            return
        console.print(swarms_table(doc["swarms"]))
        console.print(agents_table(doc["agents"]))

    run(opts("list", db, as_json), body, render)


@cli.command(epilog=example("ruv-swarm status", "ruv-swarm status --task-id task-1a2b3c --json"))
@click.option("--agent-id", default=None)
@click.option("--task-id", default=None)
@swarm_option
@common
def status(
    agent_id: str | None, task_id: str | None, swarm_id: str | None, db: str | None, as_json: bool
) -> None:
    """Show swarms (agents, tasks, models by status), one agent or one task."""
    if agent_id and task_id:
        raise click.UsageError("give --agent-id or --task-id, not both")

    async def body(engine: Engine) -> dict[str, Any]:
        if agent_id:
            return {"agent": dump(await engine.get_agent(agent_id))}
        if task_id:
            return {"task": dump(await engine.get_task(task_id))}
        ids = [swarm_id] if swarm_id else [s.id for s in await engine.list_swarms()]
        stats = await engine.stats()
        return {
            "db": stats["db_url"],
            "db_size_bytes": stats["db_size_bytes"],
            "swarms": [dump(await engine.swarm_status(i)) for i in ids],
        }

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import kv_table, print_task, scalars

        if "agent" in doc:
            console.print(kv_table("agent", scalars(doc["agent"])))
            return
        if "task" in doc:
            print_task(console, doc["task"])
            return
        console.print(f"store: {doc['db']} ({doc['db_size_bytes']:,} bytes)")
        if not doc["swarms"]:
            console.print(f"no swarm yet: create one with `{PROG} init`")
        for s in doc["swarms"]:
            sw = s["swarm"]
            console.print(
                kv_table(
                    f"{sw['id']} ({sw['name']}, {sw['topology']}, {sw['strategy']})",
                    [
                        ("agents", s["agents_by_status"]),
                        ("types", s["agents_by_type"]),
                        ("tasks", s["tasks_by_status"]),
                        ("models", s["models"]),
                        ("documents", s["documents"]),
                        ("memory entries", s["memory_entries"]),
                    ],
                )
            )

    run(opts("status", db, as_json), body, render)


@cli.command(epilog=example("ruv-swarm terminate --agent-id agent-1a2b3c"))
@click.option("--agent-id", required=True)
@common
def terminate(agent_id: str, db: str | None, as_json: bool) -> None:
    """Terminate an agent (its running task is cancelled)."""

    async def body(engine: Engine) -> dict[str, Any]:
        return {"agent": dump(await engine.terminate_agent(agent_id))}

    def render(doc: dict[str, Any], console: Console) -> None:
        a = doc["agent"]
        console.print(f"terminated {a['id']} ({a['name']}, {a['type']})")

    run(opts("terminate", db, as_json), body, render)


# -- monitor ----------------------------------------------------------------------------------


@cli.command(
    epilog=example(
        "ruv-swarm monitor --real-time",
        "ruv-swarm monitor --duration 30s --json > activity.json",
    )
)
@click.option(
    "--real-time",
    is_flag=True,
    help="A live dashboard (agents, tasks, events) instead of one line per event.",
)
@click.option(
    "--duration",
    default=None,
    metavar="SECONDS",
    help="Stop after this long (e.g. 30s); default: until Ctrl-C.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05, 60),
    default=0.5,
    show_default=True,
    help="Seconds between polls.",
)
@click.option(
    "--max-events",
    type=click.IntRange(1, 1_000_000),
    default=10_000,
    show_default=True,
    help="Most events kept for --json (later ones are counted).",
)
@swarm_option
@common
def monitor(
    real_time: bool,
    duration: str | None,
    interval: float,
    max_events: int,
    swarm_id: str | None,
    db: str | None,
    as_json: bool,
) -> None:
    """Watch agents, tasks and events as the engine works."""
    from ruv_swarm_mcp._terminal._inputs import parse_duration
    from ruv_swarm_mcp._terminal._monitor import dashboard, watch

    seconds = parse_duration("--duration", duration) if duration is not None else None
    shown_live: list[bool] = []

    async def body(engine: Engine) -> dict[str, Any]:
        from rich.live import Live

        from ruv_swarm_mcp._terminal._run import stdout_console
        from ruv_swarm_mcp._terminal._views import event_line

        if swarm_id is not None:
            await engine.get_swarm(swarm_id)
        console = stdout_console()
        live_view = real_time and not as_json and console.is_terminal
        shown_live.append(live_view)
        stop = anyio.Event()
        title = f"{PROG} monitor {engine.config.database_url()}"

        def on_poll_lines(view: Any) -> None:
            if not as_json:
                for e in view.new:
                    console.print(event_line(e), markup=False)

        async with anyio.create_task_group() as tg:
            tg.start_soon(_stop_on_signal, stop)
            if live_view:
                with Live(console=console, auto_refresh=False, screen=False) as live:
                    view = await watch(
                        engine,
                        swarm_id=swarm_id,
                        duration=seconds,
                        interval=interval,
                        max_events=max_events,
                        stop=stop,
                        on_poll=lambda v: live.update(dashboard(v, title), refresh=True),
                    )
            else:
                if not as_json:
                    console.print(f"{title}: watching (Ctrl-C to stop)", markup=False)
                view = await watch(
                    engine,
                    swarm_id=swarm_id,
                    duration=seconds,
                    interval=interval,
                    max_events=max_events,
                    stop=stop,
                    on_poll=on_poll_lines,
                )
            tg.cancel_scope.cancel()
        return {
            "duration_seconds": round(view.elapsed, 3),
            "polls": view.polls,
            "events": view.seen,
            "events_dropped": view.dropped,
            "last_event_id": view.last_event_id,
            "agents": view.agents,
            "tasks": view.tasks,
        }

    def render(doc: dict[str, Any], console: Console) -> None:
        from ruv_swarm_mcp._terminal._views import agents_table

        if not shown_live:
            console.print(agents_table(doc["agents"]))
        console.print(
            f"{len(doc['events']) + doc['events_dropped']} events in {doc['duration_seconds']:.1f}s"
        )

    run(opts("monitor", db, as_json), body, render)


async def _stop_on_signal(stop: anyio.Event) -> None:
    if not hasattr(signal, "SIGINT"):
        return
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()
            return


# -- export / import --------------------------------------------------------------------------

BUNDLE_FORMAT = "ruv-swarm-export-bundle"
BUNDLE_VERSION = 1


@cli.command(
    epilog=example(
        "ruv-swarm export --format json --output swarms.json",
        "ruv-swarm export --swarm-id swarm-1a2b3c --output one.json --force",
    )
)
@click.option("--format", "fmt_", type=click.Choice(["json"]), default="json", show_default=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--swarm-id", "swarm_id", default=None, help="One swarm (default: every swarm).")
@common
def export(
    fmt_: str, output: Path, force: bool, swarm_id: str | None, db: str | None, as_json: bool
) -> None:
    """Write swarms (agents, tasks, models, memory, documents) to a checksummed JSON file."""
    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")

    async def body(engine: Engine) -> dict[str, Any]:
        ids = [swarm_id] if swarm_id else [s.id for s in await engine.list_swarms()]
        exports = [await engine.export_swarm(i) for i in ids]
        data: dict[str, Any] = (
            exports[0]
            if swarm_id
            else {
                "format": BUNDLE_FORMAT,
                "version": BUNDLE_VERSION,
                "exported_at": time.time(),
                "swarms": exports,
            }
        )
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, output)  # a reader never sees half a file
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CliError(f"--output: cannot write {output}: {exc.strerror or exc}") from None
        return {
            "file": str(output.resolve()),
            "bytes": len(text.encode()),
            "swarms": [_summary(e) for e in exports],
        }

    def render(doc: dict[str, Any], console: Console) -> None:
        _print_summaries(
            console, f"exported to {doc['file']} ({doc['bytes']:,} bytes)", doc["swarms"]
        )

    run(opts("export", db, as_json), body, render)


def _summary(export_doc: dict[str, Any]) -> dict[str, Any]:
    sw = export_doc["swarm"]
    return {
        "id": sw["id"],
        "name": sw["name"],
        **{
            k: len(export_doc.get(k) or [])
            for k in ("agents", "tasks", "models", "memory", "documents")
        },
    }


def _print_summaries(console: Console, title: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("id", "name", "agents", "tasks", "models", "memory", "documents"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            *(str(r[c]) for c in ("id", "name", "agents", "tasks", "models", "memory", "documents"))
        )
    console.print(table)


@cli.command("import", epilog=example("ruv-swarm import --file swarms.json --db fresh.db"))
@click.option(
    "--file", "file_", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--require-checksum", is_flag=True, help="Refuse exports without a checksum.")
@click.option(
    "--max-bytes",
    type=click.IntRange(1024),
    default=MAX_EXPORT_BYTES,
    show_default=True,
    help="Largest file read.",
)
@common
def import_(
    file_: Path, require_checksum: bool, max_bytes: int, db: str | None, as_json: bool
) -> None:
    """Recreate exported swarms (with their ids) in this store."""
    from ruv_swarm_mcp._terminal._inputs import read_json_file

    async def body(engine: Engine) -> dict[str, Any]:
        data = read_json_file(file_, "--file", max_bytes, "--max-bytes")
        if isinstance(data, dict) and data.get("format") == BUNDLE_FORMAT:
            if data.get("version") != BUNDLE_VERSION or not isinstance(data.get("swarms"), list):
                raise CliError(f"--file: {file_} is a bundle of an unsupported version")
            exports = data["swarms"]
        else:
            exports = [data]
        existing = {s.id for s in await engine.list_swarms()}
        for e in exports:  # refuse before importing any, so a clash never leaves half a bundle
            sid = e.get("swarm", {}).get("id") if isinstance(e, dict) else None
            if sid in existing:
                raise CliError(f"swarm {sid} already exists in this store; nothing was imported")
        imported = []
        for e in exports:
            await engine.import_swarm(e, require_checksum=require_checksum)
            imported.append(_summary(e))
        return {"file": str(file_.resolve()), "swarms": imported}

    def render(doc: dict[str, Any], console: Console) -> None:
        _print_summaries(console, f"imported from {doc['file']}", doc["swarms"])

    run(opts("import", db, as_json), body, render)


# -- benchmark --------------------------------------------------------------------------------


@cli.command(
    epilog=example(
        "ruv-swarm benchmark --agents 4 --duration 60s",
        "ruv-swarm benchmark --agents 2 --duration 10s --json",
    )
)
@click.option("--agents", type=click.IntRange(1, 1_000), default=4, show_default=True)
@click.option(
    "--duration",
    default="30s",
    show_default=True,
    metavar="SECONDS",
    help="Time to spend training and predicting (e.g. 60s, 2m).",
)
@click.option("--keep", is_flag=True, help="Keep the benchmark's scratch swarm.")
@common
def benchmark(agents: int, duration: str, keep: bool, db: str | None, as_json: bool) -> None:
    """Time real work: spawns, agent queries, orchestrated train and predict tasks."""
    from ruv_swarm_mcp._terminal._bench import run_benchmark
    from ruv_swarm_mcp._terminal._inputs import parse_duration

    seconds = parse_duration("--duration", duration, high=3_600)

    async def body(engine: Engine) -> dict[str, Any]:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        console = stderr_console()
        with Progress(
            TextColumn("{task.fields[phase]:<34}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=as_json or not console.is_terminal,
            transient=True,
        ) as bar:
            job = bar.add_task("benchmark", total=1.0, phase="")
            return await run_benchmark(
                engine,
                agents=agents,
                duration=seconds,
                keep=keep,
                on_progress=lambda phase, f: bar.update(job, completed=f, phase=phase),
            )

    def render(doc: dict[str, Any], console: Console) -> None:
        from rich.table import Table

        from ruv_swarm_mcp._terminal._views import fmt

        table = Table(
            title=f"benchmark: {doc['agents']} agents, {doc['duration_seconds']:.1f}s",
            title_justify="left",
        )
        cols = (
            "phase",
            "operations",
            "units",
            "per_second",
            "mean_ms",
            "p50_ms",
            "p95_ms",
            "max_ms",
        )
        for c in cols:
            table.add_column(c.replace("_", " "), justify="left" if c == "phase" else "right")
        for p in doc["phases"]:
            table.add_row(*(fmt(p.get(c)) for c in cols))
        console.print(table)
        extra = [p for p in doc["phases"] if "epochs_per_second" in p]
        if extra:
            console.print(f"training: {extra[0]['epochs_per_second']:,} epochs/s over all agents")
        console.print(
            f"store {doc['db']}; {doc['cpu_count']} CPUs; load average "
            f"{' '.join(map(str, doc['loadavg'] or []))}"
        )

    run(opts("benchmark", db, as_json), body, render)


# -- mcp --------------------------------------------------------------------------------------


@cli.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    },
    epilog=example("ruv-swarm mcp", "ruv-swarm mcp --transport http --port 8765"),
)
@click.argument("server_args", nargs=-1, type=click.UNPROCESSED)
def mcp(server_args: tuple[str, ...]) -> None:
    """Start the MCP server (same options as ruv-swarm-mcp; `ruv-swarm mcp --help`)."""
    raise SystemExit(serve(list(server_args)))


def serve(args: list[str]) -> int:
    from ruv_swarm_mcp._cli import main as server_main

    return server_main(args)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args
    command = next((a for a in args if not a.startswith("-")), "")
    try:
        cli.main(args=args, prog_name=PROG, standalone_mode=False)
    except click.UsageError as exc:
        from ruv_swarm_mcp._terminal._run import report_error

        name = exc.ctx.command.name if exc.ctx is not None and exc.ctx.command else command
        name = "" if name == "cli" else name
        hint = f" (see `{PROG} {name} --help`)" if name else f" (see `{PROG} --help`)"
        return report_error(name or "", exc.format_message() + hint, USAGE, "UsageError", as_json)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        return report_error(command, "aborted", 1, "Aborted", as_json)
    except click.ClickException as exc:
        from ruv_swarm_mcp._terminal._run import report_error

        return report_error(command, exc.format_message(), exc.exit_code, "ClickError", as_json)
    except CliError as exc:  # raised before the engine opened (option values, input files)
        from ruv_swarm_mcp._terminal._run import report_error

        return report_error(command, str(exc), exc.code, "CliError", as_json)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
