#!/usr/bin/env python3
"""Benchmark the ruv-swarm-mcp server over stdio with raw JSON-RPC (no client-side overhead).

    python scripts/bench_mcp.py --json OUT.json

Measures: cold start to the `initialize` answer and to the first tool result (medians of
--coldstarts runs); `ping` round trips (the cheap call); `query_agents`
round trips (--calls sequential calls, after a warm-up) with 5 and with 100 agents (median,
p99); --spawns sequential `spawn_agent` calls (total seconds); --burst pipelined `spawn_agent`
calls sent at once (all answered, all ids distinct, server alive); server RSS when idle.
Each server gets a fresh database in a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HANDSHAKE = "2025-11-25"
TARGETS = {
    "coldstart_median_s": 1.0,
    "query_agents_5_median_ms": 1.0,
    "query_agents_5_p99_ms": 5.0,
    "query_agents_100_median_ms": 3.0,
    "spawn_1000_total_s": 2.0,
    "rss_idle_mib": 120.0,
}


class Server:
    def __init__(
        self, db_dir: str, extra: list[str] | None = None, env: dict[str, str] | None = None
    ) -> None:
        env = dict(
            os.environ,
            **(env or {}),
            RUV_SWARM_DB=os.path.join(db_dir, f"bench-{time.time_ns()}.db"),
        )
        self.t_spawn = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ruv_swarm_mcp", *(extra or [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._pending: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self.noise = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            try:
                msg = json.loads(raw)
            except ValueError:
                self.noise += 1
                continue
            if "id" in msg and "method" not in msg:
                with self._lock:
                    q = self._pending.pop(msg["id"], None)
                if q is not None:
                    q.put(msg)

    def send(
        self, method: str, params: dict[str, Any] | None = None
    ) -> queue.Queue[dict[str, Any]]:
        with self._lock:
            self._next += 1
            mid = self._next
            q: queue.Queue[dict[str, Any]] = queue.Queue()
            self._pending[mid] = q
        msg = {"jsonrpc": "2.0", "id": mid, "method": method, "params": params or {}}
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()
        return q

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.send(method, params).get(timeout=120)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def call(self, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        result = self.request("tools/call", {"name": tool, "arguments": args or {}})
        if result.get("isError"):
            raise RuntimeError(f"{tool}: {result['content'][0]['text']}")
        return result.get("structuredContent") or {}

    def initialize(self) -> float:
        self.request(
            "initialize",
            {
                "protocolVersion": HANDSHAKE,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        )
        elapsed = time.perf_counter() - self.t_spawn
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()
        return elapsed

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            return self.proc.wait(timeout=20)


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def latency(server: Server, tool: str, args: dict[str, Any], n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        server.call(tool, args)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        server.call(tool, args)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "calls": n,
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 99), 3),
        "mean_ms": round(statistics.fmean(times), 3),
        "max_ms": round(max(times), 3),
    }


def ping_latency(server: Server, n: int, warmup: int) -> dict[str, Any]:
    """The cheapest round trip: what the transport and dispatcher cost on their own."""
    for _ in range(warmup):
        server.request("ping")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        server.request("ping")
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "calls": n,
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 99), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", dest="json_out", default=None, help="write the results here")
    parser.add_argument("--coldstarts", type=int, default=5)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--spawns", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra ruv-swarm-mcp argument (repeatable), e.g. --server-arg=--sync=NORMAL",
    )
    args = parser.parse_args(argv)
    out: dict[str, Any] = {
        "server_args": args.server_arg,
        "machine": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()},
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="ruv-swarm-bench-") as tmp:
        starts, firsts = [], []
        for _ in range(args.coldstarts):
            server = Server(tmp, args.server_arg)
            starts.append(server.initialize())
            # the first tool result also waits for tool registration and the engine to open
            server.call("swarm_init", {"max_agents": 10})
            firsts.append(time.perf_counter() - server.t_spawn)
            server.close()
        out["coldstart_s"] = [round(s, 3) for s in starts]
        out["coldstart_median_s"] = round(statistics.median(starts), 3)
        out["first_tool_result_median_s"] = round(statistics.median(firsts), 3)

        server = Server(tmp, args.server_arg)
        server.initialize()
        server.call("swarm_init", {"max_agents": 10_000})
        time.sleep(1.0)
        out["rss_idle_mib"] = round(server.rss_mib(), 1)
        for _ in range(5):
            server.call("spawn_agent", {"type": "researcher"})
        q5 = latency(server, "query_agents", {}, args.calls, args.warmup)
        out["query_agents_5"] = q5
        out["ping"] = ping_latency(server, args.calls, args.warmup)
        for _ in range(95):
            server.call("spawn_agent", {"type": "researcher"})
        q100 = latency(server, "query_agents", {}, args.calls, args.warmup)
        out["query_agents_100"] = q100
        t0 = time.perf_counter()
        for _ in range(args.spawns):
            server.call("spawn_agent", {"type": "researcher"})
        out["spawn_1000_total_s"] = round(time.perf_counter() - t0, 3)
        out["spawns"] = args.spawns
        t0 = time.perf_counter()
        queues = [
            server.send("tools/call", {"name": "spawn_agent", "arguments": {"type": "analyst"}})
            for _ in range(args.burst)
        ]
        replies = [q.get(timeout=120) for q in queues]
        burst_s = time.perf_counter() - t0
        ids = [r.get("result", {}).get("structuredContent", {}).get("id") for r in replies]
        out["burst"] = {
            "requested": args.burst,
            "answered": len(replies),
            "errors": sum(1 for r in replies if "error" in r or r["result"].get("isError")),
            "distinct_ids": len({i for i in ids if i}),
            "total_s": round(burst_s, 3),
            "server_alive": server.proc.poll() is None,
        }
        out["rss_after_workload_mib"] = round(server.rss_mib(), 1)
        out["stdout_non_json_lines"] = server.noise
        out["exit_code_on_stdin_close"] = server.close()
    out["machine"]["loadavg_at_end"] = os.getloadavg()
    out["meets_targets"] = {
        "coldstart": out["coldstart_median_s"] <= TARGETS["coldstart_median_s"],
        "query_agents_5_median": q5["median_ms"] <= TARGETS["query_agents_5_median_ms"],
        "query_agents_5_p99": q5["p99_ms"] <= TARGETS["query_agents_5_p99_ms"],
        "query_agents_100_median": q100["median_ms"] <= TARGETS["query_agents_100_median_ms"],
        "spawn_1000": out["spawn_1000_total_s"] <= TARGETS["spawn_1000_total_s"],
        "burst_all_distinct": out["burst"]["distinct_ids"] == args.burst
        and out["burst"]["server_alive"],
        "rss_idle": out["rss_idle_mib"] <= TARGETS["rss_idle_mib"],
    }
    text = json.dumps(out, indent=2)
    print(text)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
