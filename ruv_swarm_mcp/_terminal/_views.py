"""Terminal renderings (rich): tables of swarms, agents and tasks, key/value panels and the
learning curve drawn with characters."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value[:8]) + (" ..." if len(value) > 8 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in list(value.items())[:8])
    return str(value)


def ago(ts: float | None) -> str:
    if ts is None:
        return "-"
    s = max(0.0, time.time() - ts)
    if s < 60:
        return f"{s:.0f}s ago"
    if s < 3600:
        return f"{s / 60:.0f}m ago"
    return f"{s / 3600:.1f}h ago"


def kv_table(title: str | None, pairs: Iterable[tuple[str, Any]]) -> Table:
    table = Table(
        title=title,
        show_header=False,
        box=None,
        pad_edge=False,
        title_justify="left",
        min_width=len(title or ""),  # a long title stays on one line
    )
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for k, v in pairs:
        table.add_row(k, fmt(v))
    return table


def scalars(doc: Mapping[str, Any], skip: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """The fields of a result worth a line: numbers, text and short lists."""
    skipped = set(skip)
    out = []
    for k, v in doc.items():
        if k in skipped or isinstance(v, dict):
            continue
        if isinstance(v, list) and (len(v) > 8 or any(isinstance(x, list | dict) for x in v)):
            continue
        out.append((k, v))
    return out


def swarms_table(swarms: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(title="swarms", title_justify="left")
    table.add_column("id", no_wrap=True)
    for col in ("name", "topology", "strategy", "max agents", "created"):
        table.add_column(col)
    for s in swarms:
        table.add_row(
            s["id"],
            s["name"],
            s["topology"],
            s["strategy"],
            str(s["max_agents"]),
            ago(s.get("created_at")),
        )
    return table


def agents_table(agents: Sequence[Mapping[str, Any]], title: str = "agents") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("id", no_wrap=True)
    for col in ("name", "type", "status", "done", "failed", "task"):
        table.add_column(col, overflow="fold")
    style = {"idle": "green", "busy": "yellow", "terminated": "dim"}
    for a in agents:
        kind = a["type"] if a["role"] == a["type"] else f"{a['role']} ({a['type']})"
        table.add_row(
            a["id"],
            a["name"],
            kind,
            Text(a["status"], style=style.get(a["status"], "")),
            str(a.get("tasks_completed", 0)),
            str(a.get("tasks_failed", 0)),
            a.get("current_task_id") or "-",
        )
    return table


def tasks_table(tasks: Sequence[Mapping[str, Any]], title: str = "tasks") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("id", no_wrap=True)
    for col in ("kind", "status", "progress", "duration", "message"):
        table.add_column(col, overflow="fold")
    style = {"completed": "green", "failed": "red", "running": "yellow", "interrupted": "magenta"}
    for t in tasks:
        ms = t.get("duration_ms")
        table.add_row(
            t["id"],
            t["kind"],
            Text(t["status"], style=style.get(t["status"], "")),
            f"{100 * float(t.get('progress') or 0):.0f}%",
            f"{ms / 1000:.2f}s" if ms is not None else "-",
            (t.get("error") or t.get("progress_message") or "")[:60],
        )
    return table


def events_table(events: Sequence[Mapping[str, Any]], title: str = "events") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("id", "time", "kind", "subject", "data"):
        table.add_column(col, overflow="fold")
    for e in events:
        table.add_row(
            str(e["id"]),
            time.strftime("%H:%M:%S", time.localtime(e["ts"])),
            e["kind"],
            e.get("subject_id") or "-",
            fmt(e.get("data") or {})[:70],
        )
    return table


def event_line(e: Mapping[str, Any]) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(e["ts"]))
    data = fmt(e.get("data") or {})
    return f"{stamp} #{e['id']} {e['kind']} {e.get('subject_id') or '-'} {data}"[:200]


def learning_curve(
    epochs: Sequence[int | float], mse: Sequence[float], width: int = 60, height: int = 12
) -> Text:
    """MSE per epoch on a log10 axis, one column per slice of epochs."""
    points = [(e, v) for e, v in zip(epochs, mse, strict=False) if v > 0 and math.isfinite(v)]
    if len(points) < 2:
        return Text("(not enough epochs for a curve)")
    cols = min(width, len(points))
    # one sampled point per column; the axis spans what is drawn
    sampled = [points[round(c * (len(points) - 1) / max(cols - 1, 1))] for c in range(cols)]
    logs = [math.log10(v) for _, v in sampled]
    lo, hi = min(logs), max(logs)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    grid = [[" "] * cols for _ in range(height)]
    for c in range(cols):
        grid[round((hi - logs[c]) / (hi - lo) * (height - 1))][c] = "•"
    out = Text()
    for r, row in enumerate(grid):
        value = 10 ** (hi - r * (hi - lo) / (height - 1))
        label = f"{value:9.3g} ┤" if r in (0, height // 2, height - 1) else " " * 10 + "│"
        out.append(label, style="dim")
        out.append("".join(row) + "\n", style="cyan")
    first, last = points[0][0], points[-1][0]
    axis = " " * 10 + "└" + "─" * cols
    out.append(axis + "\n", style="dim")
    tail = f"epoch {last:g}"
    gap = max(1, cols - len(str(first)) - len(tail))
    out.append(" " * 11 + f"{first:g}" + " " * gap + tail + "\n", style="dim")
    out.append(" " * 11 + "training MSE (log scale)", style="dim")
    return out


def print_task(console: Console, task: Mapping[str, Any]) -> None:
    pairs = [
        ("task", task["id"]),
        ("kind", task["kind"]),
        ("status", task["status"]),
        ("strategy", task.get("strategy")),
        ("duration", f"{task['duration_ms'] / 1000:.3f}s" if task.get("duration_ms") else None),
        ("error", task.get("error")),
    ]
    console.print(kv_table(None, [(k, v) for k, v in pairs if v is not None]))
    result = task.get("result") or {}
    if isinstance(result.get("answer"), str) and result["answer"]:
        console.print(Text("answer", style="bold"))
        console.print(result["answer"])
    if result:
        rows = scalars(result, skip=("answer", "history"))
        if rows:
            console.print(kv_table("result", rows))
