"""Training checkpoints: a train task stopped by an engine shutdown resumes from its checkpoint
(weights, scaling, history), the checkpoint row disappears when the task completes or is
cancelled, and a retry without a checkpoint says that it started over."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest

import neural
from swarm_core import EngineConfig, InvalidStateError, TaskStatus, ValidationError
from swarm_core._engine import Engine

pytestmark = pytest.mark.anyio


def noisy_regression(n: int = 1000, seed: int = 0) -> dict[str, Any]:
    """A target no network fits exactly (noise), so training never stops early."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 6))
    y = 0.5 + 0.3 * np.sin(3 * x[:, :1] * x[:, 1:2]) + 0.05 * rng.standard_normal((n, 1))
    return {"inputs": x.tolist(), "outputs": y.tolist()}


DATA = noisy_regression()
BUDGET = 2000  # <= the history's 2,000 points: every epoch is listed


def config(db: Path | str, **kw: Any) -> EngineConfig:
    return EngineConfig(db=str(db), checkpoint_seconds=0.02, cpu_workers=2, **kw)


def stored_checkpoint(db: Path | str, task_id: str) -> tuple[int, bytes, list[float]] | None:
    """Read with a separate connection (an SQLite file path or a database URL)."""
    import sqlalchemy as sa

    url = str(db) if "://" in str(db) else f"sqlite:///{db}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            row = con.execute(
                sa.text(
                    "SELECT epochs_done, network, history_mse FROM checkpoint WHERE task_id = :t"
                ),
                {"t": task_id},
            ).first()
    finally:
        engine.dispose()
    if row is None:
        return None
    return int(row[0]), bytes(row[1]), np.frombuffer(row[2], dtype="<f8").tolist()


async def start_and_interrupt(db: Path | str, payload: dict[str, Any], at_epoch: int) -> str:
    """Submit a training, close the engine once it ran `at_epoch` epochs; returns the task id."""
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("ckpt")
        task = await eng.submit_task(swarm.id, "train", payload)
        with anyio.fail_after(60):
            while (await eng.get_task(task.id)).progress < at_epoch / payload["epochs"]:
                await anyio.sleep(0.005)
    return task.id


@pytest.mark.both_dbs
async def test_interrupted_training_resumes_from_its_checkpoint(db_url: str) -> None:
    db = db_url
    payload = {"data": DATA, "layers": [16], "epochs": BUDGET, "seed": 3}
    task_id = await start_and_interrupt(db, payload, at_epoch=300)
    saved = stored_checkpoint(db, task_id)
    assert saved is not None, "closing the engine must leave the run's checkpoint"
    done_before, blob, mse_before = saved
    assert 300 <= done_before < BUDGET and len(mse_before) == done_before
    # the checkpointed network itself, measured on the data
    ckpt_net = neural.Network.from_bytes(blob)
    data = neural.TrainingData(DATA["inputs"], DATA["outputs"])
    ckpt_mse = float(neural.evaluate(ckpt_net, data).mse)

    async with Engine.open(config(db)) as eng:
        info = await eng.get_task(task_id)
        assert info.status is TaskStatus.INTERRUPTED
        info_ckpt = await eng.checkpoint_info(task_id)
        assert info_ckpt is not None and info_ckpt["epochs_done"] == done_before
        assert info_ckpt["optimizer_state"] is True
        retried = await eng.retry_task(task_id)
        assert retried.attempts == 2
        done = await eng.wait_task(task_id, timeout=60)
        assert done.status is TaskStatus.COMPLETED, done.error
        res = done.result or {}
        assert res["resumed_from_epoch"] == done_before
        assert "optimizer state was restored" in res["resume_note"]
        assert res["epochs_run"] == BUDGET and res["stop_reason"] == "max_epochs"
        hist = res["history"]
        assert hist["epochs_total"] == BUDGET and not hist["downsampled"]
        assert hist["epoch"] == list(range(1, BUDGET + 1))  # continuous numbering
        assert hist["mse"][:done_before] == mse_before  # the checkpointed part, as measured
        assert all(np.isfinite(hist["mse"]))
        assert res["train_mse"] <= ckpt_mse
        assert res["final_mse"] == hist["mse"][-1]
        model = await eng.get_model(res["model_id"])
        assert model.history["epoch"][-1] == BUDGET
        # completion removed the checkpoint in the commit that finished the task
        assert await eng.checkpoint_info(task_id) is None
    assert stored_checkpoint(db, task_id) is None


async def test_resumed_batch_training_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    # plain batch backprop keeps no optimizer state, so weights + scaler + history are
    # everything; targets in the hundreds make scale=auto map them (the scaler must survive)
    data = {"inputs": DATA["inputs"], "outputs": [[100 * v for v in r] for r in DATA["outputs"]]}
    payload = {"data": data, "layers": [8], "epochs": BUDGET, "seed": 5, "algorithm": "batch"}
    task_id = await start_and_interrupt(tmp_path / "a.db", payload, at_epoch=200)
    async with Engine.open(config(tmp_path / "a.db")) as eng:
        await eng.retry_task(task_id)
        resumed = (await eng.wait_task(task_id, timeout=60)).result or {}
    async with Engine.open(config(tmp_path / "b.db")) as eng:
        swarm = await eng.create_swarm("whole")
        whole = (await eng.train(swarm.id, **payload)).result or {}
    assert resumed["resumed_from_epoch"] > 0
    assert resumed["scaling"]["outputs"] and resumed["scaling"] == whole["scaling"]
    assert resumed["history"]["mse"] == whole["history"]["mse"]
    assert resumed["train_mse"] == whole["train_mse"]


async def resume_and_compare(tmp_path: Path, payload: dict[str, Any], at_epoch: int) -> None:
    """Interrupt a training, resume it, and train the same payload uninterrupted: the per-epoch
    errors must be the same numbers (the optimizer state is restored, not restarted)."""
    task_id = await start_and_interrupt(tmp_path / "a.db", payload, at_epoch=at_epoch)
    saved = stored_checkpoint(tmp_path / "a.db", task_id)
    assert saved is not None
    async with Engine.open(config(tmp_path / "a.db")) as eng:
        await eng.retry_task(task_id)
        resumed = (await eng.wait_task(task_id, timeout=60)).result or {}
    async with Engine.open(config(tmp_path / "b.db")) as eng:
        swarm = await eng.create_swarm("whole")
        whole = (await eng.train(swarm.id, **payload)).result or {}
    assert resumed["resumed_from_epoch"] == saved[0] > 0
    assert "optimizer state was restored" in resumed["resume_note"]
    assert resumed["history"]["mse"] == whole["history"]["mse"]
    assert resumed["train_mse"] == whole["train_mse"]


async def test_resumed_rprop_training_has_no_error_jump(tmp_path: Path) -> None:
    # RPROP's adapted step sizes are most of its progress: restarting them at 0.1 made the
    # MSE jump 6-11x for ~20 epochs; restored, the resumed run is the uninterrupted one
    payload = {"data": DATA, "layers": [8], "epochs": BUDGET, "seed": 6, "algorithm": "rprop"}
    await resume_and_compare(tmp_path, payload, at_epoch=200)


async def test_resumed_sarprop_training_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    # SARPROP also carries its epoch counter (annealing) and its noise RNG
    payload = {"data": DATA, "layers": [8], "epochs": BUDGET, "seed": 6, "algorithm": "sarprop"}
    await resume_and_compare(tmp_path, payload, at_epoch=200)


async def test_database_without_the_state_column_gains_it(tmp_path: Path) -> None:
    """A database written before checkpoints kept the optimizer state: opening adds the
    column, and its state-less checkpoint resumes with the optimizer restarted (and says so)."""
    db = tmp_path / "swarm.db"
    payload = {"data": DATA, "layers": [4], "epochs": BUDGET, "seed": 2}
    task_id = await start_and_interrupt(db, payload, at_epoch=100)
    con = sqlite3.connect(db)
    # the old schema: no state column, and (made before migrations) no alembic_version
    con.execute("ALTER TABLE checkpoint DROP COLUMN optimizer_state")
    con.execute("DROP TABLE alembic_version")
    con.commit()
    con.close()
    saved = stored_checkpoint(db, task_id)
    assert saved is not None
    async with Engine.open(config(db)) as eng:
        await eng.retry_task(task_id)
        res = (await eng.wait_task(task_id, timeout=60)).result or {}
    con = sqlite3.connect(db)
    cols = [r[1] for r in con.execute("PRAGMA table_info(checkpoint)")]
    con.close()
    assert "optimizer_state" in cols
    assert res["resumed_from_epoch"] == saved[0]
    assert "no optimizer state" in res["resume_note"]
    assert res["history"]["mse"][: saved[0]] == saved[2] and res["epochs_run"] == BUDGET


@pytest.mark.both_dbs
async def test_checkpoint_is_deleted_on_cancel_and_kept_on_failure(db_url: str) -> None:
    db = db_url
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("c")
        payload = {"data": DATA, "layers": [16], "epochs": 100_000, "seed": 1}
        task = await eng.submit_task(swarm.id, "train", payload)
        with anyio.fail_after(60):
            while await eng.checkpoint_info(task.id) is None:
                await anyio.sleep(0.01)
        cancelled = await eng.cancel_task(task.id)
        assert cancelled.status is TaskStatus.CANCELLED
        assert await eng.checkpoint_info(task.id) is None
        assert stored_checkpoint(db, task.id) is None

        # retrying a task without a checkpoint trains from scratch and says so
        payload_small = {**payload, "epochs": 50}
        small = await eng.submit_task(swarm.id, "train", payload_small)
        await eng.wait_task(small.id)
        with pytest.raises(ValidationError, match="resume"):
            await eng.retry_task(task.id, resume="yes")  # type: ignore[arg-type]
        await eng.retry_task(task.id)
        await eng.cancel_task(task.id)  # the long one again; its new checkpoint goes too
        assert stored_checkpoint(db, task.id) is None

        # a timed-out training fails and keeps its checkpoint; resume=False discards it
        timed = await eng.submit_task(swarm.id, "train", payload, timeout_seconds=0.5)
        failed = await eng.wait_task(timed.id, timeout=60)
        assert failed.status is TaskStatus.FAILED and "Timeout" in (failed.error or "")
        kept = await eng.checkpoint_info(timed.id)
        assert kept is not None and kept["epochs_done"] > 0
        await eng.retry_task(timed.id, resume=False)
        try:
            await eng.cancel_task(timed.id)
        except InvalidStateError:
            # on a loaded machine the retry can reach its 0.5 s timeout first: a failure keeps
            # the new attempt's checkpoint by design, so only a cancel can show the discard
            again = await eng.get_task(timed.id)
            assert again.status is TaskStatus.FAILED and "Timeout" in (again.error or "")
            assert again.attempts == 2
        else:
            assert stored_checkpoint(db, timed.id) is None


async def test_retry_without_checkpoint_says_it_started_over(tmp_path: Path) -> None:
    db = tmp_path / "swarm.db"
    xor = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "outputs": [[0], [1], [1], [0]]}
    async with Engine.open(config(db)) as eng:
        swarm = await eng.create_swarm("c")
        agent = await eng.spawn_agent(swarm.id, "neural-processor")
        long = await eng.submit_task(
            swarm.id,
            "train",
            {"data": DATA, "layers": [4], "epochs": 100_000, "seed": 1},
            agent_ids=[agent.id],
        )
        # queued behind it on the same agent: interrupted before they start, no checkpoint
        short = await eng.submit_task(
            swarm.id,
            "train",
            {"data": xor, "layers": [3], "epochs": 40, "seed": 1, "desired_error": 0.0},
            agent_ids=[agent.id],
        )
        casc = await eng.submit_task(
            swarm.id,
            "train",
            {"data": xor, "algorithm": "cascade", "epochs": 1, "seed": 1},
            agent_ids=[agent.id],
        )
        with anyio.fail_after(60):
            while (await eng.get_task(long.id)).progress == 0:
                await anyio.sleep(0.01)
    assert stored_checkpoint(db, short.id) is None
    async with Engine.open(config(db)) as eng:
        for tid in (long.id, short.id, casc.id):
            assert (await eng.get_task(tid)).status is TaskStatus.INTERRUPTED
        await eng.retry_task(short.id)
        res = (await eng.wait_task(short.id, timeout=60)).result or {}
        assert res["resumed_from_epoch"] is None
        assert "no checkpoint" in res["resume_note"]
        assert res["epochs_run"] == 40 and res["history"]["epoch"][0] == 1
        await eng.retry_task(casc.id)
        res = (await eng.wait_task(casc.id, timeout=60)).result or {}
        assert res["resumed_from_epoch"] is None and "cascade" in res["resume_note"]
        # the long one has a checkpoint; a plain retry (no resume asked) never mentions one
        assert await eng.checkpoint_info(long.id) is not None
        await eng.retry_task(long.id, resume=False)
        assert stored_checkpoint(db, long.id) is None  # discarded in the retry's commit
        with anyio.fail_after(60):
            while (await eng.get_task(long.id)).progress == 0:
                await anyio.sleep(0.01)
        await eng.cancel_task(long.id)


def test_checkpoint_seconds_is_validated() -> None:
    with pytest.raises(ValueError, match="checkpoint_seconds"):
        EngineConfig(checkpoint_seconds=-1)


async def test_checkpoint_taken_after_the_last_epoch_resumes_to_nothing_left(
    tmp_path: Path,
) -> None:
    # an interrupt that lands in the final epoch leaves a checkpoint with no epochs to go;
    # shrinking the stored budget to the checkpoint's epochs recreates that state
    db = tmp_path / "swarm.db"
    payload = {"data": DATA, "layers": [16], "epochs": BUDGET, "seed": 3}
    task_id = await start_and_interrupt(db, payload, at_epoch=100)
    saved = stored_checkpoint(db, task_id)
    assert saved is not None
    done_before = saved[0]
    con = sqlite3.connect(db)
    con.execute(
        "UPDATE task SET payload = json_set(payload, '$.epochs', ?) WHERE id = ?",
        (done_before, task_id),
    )
    con.commit()
    con.close()
    async with Engine.open(config(db)) as eng:
        await eng.retry_task(task_id)
        res = (await eng.wait_task(task_id, timeout=60)).result or {}
    assert res["resumed_from_epoch"] == done_before == res["epochs_run"]
    assert res["history"]["mse"] == saved[2] and res["stop_reason"] == "max_epochs"


@pytest.mark.parametrize("algorithm", ["quickprop", "incremental", "sarprop"])
async def test_every_epoch_trainer_resumes(tmp_path: Path, algorithm: str) -> None:
    db = tmp_path / "swarm.db"
    budget = BUDGET
    payload = {
        "data": DATA,
        "layers": [8],
        "epochs": budget,
        "seed": 4,
        "algorithm": algorithm,
        "learning_rate": 0.1,
    }
    if algorithm == "sarprop":
        del payload["learning_rate"]
    task_id = await start_and_interrupt(db, payload, at_epoch=60)
    saved = stored_checkpoint(db, task_id)
    assert saved is not None
    async with Engine.open(config(db)) as eng:
        await eng.retry_task(task_id)
        done = await eng.wait_task(task_id, timeout=60)
    res = done.result or {}
    assert done.status is TaskStatus.COMPLETED, done.error
    assert res["resumed_from_epoch"] == saved[0] and res["epochs_run"] == budget
    assert res["history"]["epoch"] == list(range(1, budget + 1))
    assert res["history"]["mse"][: saved[0]] == saved[2]


async def test_stale_checkpoints_are_purged_within_bounds(tmp_path: Path) -> None:
    from swarm_core._checkpoint import Checkpoint
    from swarm_core.store._writer import UPSERT

    db = tmp_path / "purge.db"
    cfg = config(db, max_checkpoints=2, checkpoint_max_age_seconds=3600)
    async with Engine.open(cfg) as eng:
        swarm = await eng.create_swarm("purge")
        now = time.time()
        ages = {"task-a": 10.0, "task-b": 20.0, "task-c": 30.0, "task-old": 7200.0}
        for tid, age in ages.items():
            ckpt = Checkpoint(tid, swarm.id, "rprop", 5, b"net", [0.5] * 5, [1] * 5, now - age)
            await eng._writer.row("checkpoint", UPSERT, ckpt.row()).wait()
        # a live task's checkpoint is never dropped, however old or many
        slow = {"data": DATA, "layers": [16], "epochs": 100_000, "desired_error": 0.0}
        task = await eng.submit_task(swarm.id, "train", slow)
        live = Checkpoint(task.id, swarm.id, "rprop", 1, b"n", [0.1], [0], now - 99_999)
        await eng._writer.row("checkpoint", UPSERT, live.row()).wait()
        removed = await eng.purge_stale_checkpoints()
        con = sqlite3.connect(db)
        try:
            left = {r[0] for r in con.execute("SELECT task_id FROM checkpoint")}
        finally:
            con.close()
        # newest two kept (a, b); c beyond the count, old beyond the age; the live one stays
        assert removed == 2 and left == {"task-a", "task-b", task.id}
        await eng.cancel_task(task.id)
