"""Child process of the crash test: trains, and writes while it trains, printing what each call
acknowledged right after the call returned. The parent SIGKILLs it at an arbitrary moment."""

from __future__ import annotations

import sys

import anyio
import numpy as np

from swarm_core import Engine, EngineConfig, TaskStatus


def ack(*parts: str) -> None:
    print("ACK", *parts, flush=True)


async def main(db: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 8))
    y = (x[:, :3].sum(axis=1, keepdims=True) > 0).astype(float)
    async with Engine.open(EngineConfig(db=db, synchronous="FULL")) as eng:
        swarm = await eng.create_swarm("crash", max_agents=10_000)
        ack("swarm", swarm.id)
        train = await eng.submit_task(
            swarm.id,
            "train",
            {
                "data": {"inputs": x.tolist(), "outputs": y.tolist()},
                "layers": [16],
                "epochs": 100_000,
                "desired_error": 0.0,  # every epoch: the kill must land mid-training
                "seed": 1,
            },
        )
        ack("task", train.id)
        while True:
            info = await eng.get_task(train.id)
            if info.status is TaskStatus.RUNNING and info.progress > 0:
                break  # epochs are being reported: training really runs
            if info.status.is_final:
                print("TRAINING FAILED", info.status.value, info.error, flush=True)
                sys.exit(1)
            await anyio.sleep(0.005)
        print("TRAINING", train.id, flush=True)
        i = 0
        while True:
            agent = await eng.spawn_agent(swarm.id, "analyst", name=f"a{i}")
            ack("agent", agent.id)
            await eng.memory_store("crash", f"k{i}", {"i": i}, swarm_id=swarm.id)
            ack("memory", f"k{i}")
            doc = await eng.knowledge_add(swarm.id, f"note {i}", f"write number {i} while training")
            ack("doc", doc)
            i += 1


if __name__ == "__main__":
    anyio.run(main, sys.argv[1])
