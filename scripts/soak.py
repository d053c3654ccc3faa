#!/usr/bin/env python3
"""Soak: drive a stdio server with a mixed workload for some minutes and report, per minute,
what would show unbounded growth: the server's RSS and open files, the database size, and the
p50 latency of each tool.

    python scripts/soak.py --minutes 10 --json soak.json

The workload, round after round (`--profile ruv-swarm`, which also carries the default tools):
an orchestrated search fanned out over `--researchers` researchers (parallel strategy), a
memory store / get / delete, a small training and a prediction with its model, and every
`--benchmark-every` rounds a `benchmark_run`. Not part of the test suite; the run is bounded by
`--minutes` (each call also by `--call-timeout`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import anyio

XOR = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
TOPICS = (
    "neural networks learn weights from examples by gradient descent",
    "swarms coordinate many agents through a topology such as a mesh or a ring",
    "cascade correlation grows hidden units one at a time",
    "resilient propagation adapts a step size per weight",
    "full text search ranks documents with bm25",
)


def _process(pid: int) -> dict[str, Any]:
    try:
        import psutil

        p = psutil.Process(pid)
        return {"rss_bytes": p.memory_info().rss, "open_files": p.num_fds()}
    except ImportError:
        with open(f"/proc/{pid}/statm", encoding="ascii") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return {"rss_bytes": rss, "open_files": len(os.listdir(f"/proc/{pid}/fd"))}


def _db_bytes(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        with contextlib.suppress(OSError):
            total += os.path.getsize(str(path) + suffix)
    return total


class Soak:
    def __init__(self, session: Any, args: argparse.Namespace) -> None:
        self.session = session
        self.args = args
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.calls = 0

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        with anyio.move_on_after(self.args.call_timeout):
            result = await self.session.call_tool(name, arguments)
            self.latency[name].append((time.perf_counter() - t0) * 1000)
            self.calls += 1
            if result.is_error:
                self.errors[name] += 1
                if self.errors[name] <= 3:
                    print(f"  {name} error: {result.content[0].text[:200]}", file=sys.stderr)
                return None
            data: dict[str, Any] = result.structured_content
            return data
        self.errors[name] += 1
        print(f"  {name} timed out after {self.args.call_timeout} s", file=sys.stderr)
        return None

    async def setup(self) -> str:
        swarm = await self.call(
            "swarm_init", {"topology": "mesh", "maxAgents": self.args.researchers + 20}
        )
        assert swarm is not None, "swarm_init failed"
        sid = str(swarm["id"])
        for _ in range(self.args.researchers):
            await self.call("spawn_agent", {"type": "researcher", "swarm_id": sid})
        await self.call("spawn_agent", {"type": "neural-processor", "swarm_id": sid})
        for i in range(self.args.documents):
            text = f"{TOPICS[i % len(TOPICS)]}. Document {i} adds detail number {i}."
            await self.call("knowledge_add", {"title": f"doc {i}", "text": text, "swarm_id": sid})
        return sid

    async def round(self, sid: str, n: int) -> None:
        await self.call(
            "orchestrate",
            {
                "task": {
                    "kind": "search",
                    "query": TOPICS[n % len(TOPICS)],
                    "answer": self.args.answer,
                },
                "strategy": "parallel",
                "swarm_id": sid,
                "wait_seconds": self.args.call_timeout,
            },
        )
        key = f"k{n % 1000}"
        await self.call("memory_store", {"namespace": "soak", "key": key, "value": {"n": n}})
        await self.call("memory_get", {"namespace": "soak", "key": key})
        if n % 2:
            await self.call("memory_delete", {"namespace": "soak", "key": key})
        trained = await self.call(
            "train",
            {"data": XOR, "layers": [3], "epochs": 50, "seed": n, "swarm_id": sid},
        )
        if trained and trained.get("model_id"):
            await self.call("predict", {"model_id": trained["model_id"], "inputs": [[0, 1]]})
        if self.args.benchmark_every and n % self.args.benchmark_every == 0:
            await self.call("benchmark_run", {"type": "all", "iterations": 3})


def _minute_row(
    minute: int, soak: Soak, pid: int, db: Path, started: float, rounds: int
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "minute": minute,
        "elapsed_s": round(time.monotonic() - started, 1),
        "rounds": rounds,
        "calls": soak.calls,
        **_process(pid),
        "db_bytes": _db_bytes(db),
        "wal_bytes": _db_bytes(Path(str(db) + "-wal")),
        "loadavg": os.getloadavg()[0],
        "p50_ms": {k: round(statistics.median(v), 2) for k, v in sorted(soak.latency.items()) if v},
        "errors": dict(soak.errors),
    }
    soak.latency.clear()
    return row


def _print_row(row: dict[str, Any]) -> None:
    p50 = row["p50_ms"]
    focus = " ".join(
        f"{k}={p50[k]:.1f}"
        for k in ("orchestrate", "memory_store", "train", "benchmark_run")
        if k in p50
    )
    print(
        f"min {row['minute']:>3}  rounds {row['rounds']:>5}  rss {row['rss_bytes'] / 2**20:7.1f} MiB"
        f"  fds {row['open_files']:>4}  db {row['db_bytes'] / 2**20:7.1f} MiB"
        f"  load {row['loadavg']:.2f}  p50 ms: {focus}",
        flush=True,
    )


async def main(args: argparse.Namespace) -> int:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    with tempfile.TemporaryDirectory(prefix="ruv-swarm-soak-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "soak.db"
        env = dict(os.environ, RUV_SWARM_DB=str(db), PYTHONUNBUFFERED="1")
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "ruv_swarm_mcp", "--profile", "ruv-swarm", *args.server_arg],
            env=env,
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            soak = Soak(session, args)
            info = (await session.call_tool("server_info", {})).structured_content
            pid = int(info["pid"])
            sid = await soak.setup()
            soak.latency.clear()
            rows = [_minute_row(0, soak, pid, db, time.monotonic(), 0)]
            _print_row(rows[0])
            started = time.monotonic()
            deadline = started + 60 * args.minutes
            next_report = started + 60
            rounds = 0
            while time.monotonic() < deadline:
                await soak.round(sid, rounds)
                rounds += 1
                if time.monotonic() >= next_report:
                    rows.append(_minute_row(len(rows), soak, pid, db, started, rounds))
                    _print_row(rows[-1])
                    next_report += 60
            if soak.latency:
                rows.append(_minute_row(len(rows), soak, pid, db, started, rounds))
                _print_row(rows[-1])
    report = {
        "config": {
            "minutes": args.minutes,
            "researchers": args.researchers,
            "documents": args.documents,
            "benchmark_every": args.benchmark_every,
            "answer": args.answer,
            "server_args": args.server_arg,
            "cpu_count": os.cpu_count(),
        },
        "minutes": rows,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    ap.add_argument("--json", help="write the per-minute report here")
    ap.add_argument("--researchers", type=int, default=120, help="fan-out width (default 120)")
    ap.add_argument("--documents", type=int, default=40, help="knowledge documents (default 40)")
    ap.add_argument(
        "--benchmark-every", type=int, default=10, help="rounds between benchmark_run (0: never)"
    )
    ap.add_argument(
        "--answer",
        action="store_true",
        help="each researcher also extracts an answer (CPU-bound: hides latency changes)",
    )
    ap.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra server option, e.g. --server-arg=--keep-tasks=20000 (repeatable)",
    )
    ap.add_argument("--call-timeout", type=float, default=60.0, help="seconds per call")
    ap.add_argument("--db", help="database file (default: a temporary one)")
    args = ap.parse_args(argv)
    if args.minutes <= 0 or args.researchers < 1:
        ap.error("--minutes must be > 0 and --researchers >= 1")
    return args


if __name__ == "__main__":
    sys.exit(anyio.run(main, parse()))
