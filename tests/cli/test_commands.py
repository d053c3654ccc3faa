"""Every `ruv-swarm` command through the console script on a temporary store, --json parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import XOR_DATA, ok_json, ruv_swarm

COMMANDS = (
    "init",
    "spawn",
    "orchestrate",
    "train",
    "predict",
    "evaluate",
    "list",
    "status",
    "terminate",
    "monitor",
    "export",
    "import",
    "benchmark",
)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example(tmp_path: Path, command: str) -> None:
    r = ruv_swarm(tmp_path / "unused.db", command, "--help")
    assert r.code == 0, r.err
    assert "Examples:" in r.out and f"ruv-swarm {command}" in r.out
    assert "--json" in r.out and "--db" in r.out
    assert not (tmp_path / "unused.db").exists()  # help opens no store


def test_top_level_help_lists_every_command(tmp_path: Path) -> None:
    r = ruv_swarm(tmp_path / "x.db", "--help")
    assert r.code == 0
    for command in (*COMMANDS, "mcp"):
        assert f"  {command} " in r.out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One store driven through a short session: a swarm, agents, documents, a workflow and a
    trained model (built once; the tests below read it and add to it)."""
    tmp = tmp_path_factory.mktemp("session")
    db = tmp / "swarm.db"
    kb = tmp / "kb"
    (kb / "sub").mkdir(parents=True)
    (kb / "queue.md").write_text("# Queue\nThe task queue is bounded by max_queued_tasks.\n")
    (kb / "sub" / "agents.txt").write_text("Each agent runs one task at a time.\n")
    (kb / "ignored.bin").write_bytes(b"\x00\x01")
    (tmp / "xor.data").write_text(XOR_DATA)
    (tmp / "wf.yaml").write_text(
        "inputs: {epochs: 20}\n"
        "steps:\n"
        "  - name: note\n"
        "    uses: memory_store\n"
        "    with: {key: wf-ran, value: 'epochs ${inputs.epochs}'}\n"
        "outputs: {done: $steps.note.key}\n"
    )
    swarm = ok_json(
        db,
        "init",
        "--topology",
        "star",
        "--strategy",
        "parallel",
        "--name",
        "lab",
        "--max-agents",
        "12",
    )["swarm"]
    nps = ok_json(
        db,
        "spawn",
        "neural-processor",
        "--parallel",
        "2",
        "--name",
        "np",
        "--capabilities",
        "fast,xor",
    )
    researcher = ok_json(db, "spawn", "researcher", "--knowledge-base", str(kb))
    coordinator = ok_json(db, "spawn", "coordinator", "--workflow", str(tmp / "wf.yaml"))
    trained = ok_json(
        db,
        "train",
        str(tmp / "xor.data"),
        "--layers",
        "4",
        "--epochs",
        "60",
        "--desired-error",
        "0",
        "--seed",
        "3",
        "--plot",
        str(tmp / "curve.png"),
    )
    return {
        "tmp": tmp,
        "db": db,
        "swarm": swarm,
        "nps": nps,
        "researcher": researcher,
        "coordinator": coordinator,
        "trained": trained,
    }


def test_init_and_spawn_report_what_they_made(store: dict) -> None:
    swarm = store["swarm"]
    assert (swarm["topology"], swarm["strategy"], swarm["name"], swarm["max_agents"]) == (
        "star",
        "parallel",
        "lab",
        12,
    )
    agents = store["nps"]["agents"]
    assert sorted(a["name"] for a in agents) == ["np-1", "np-2"]
    assert all(
        a["capabilities"] == ["fast", "xor"] and a["swarm_id"] == swarm["id"] for a in agents
    )
    docs = store["researcher"]["documents"]
    assert sorted(d["title"] for d in docs) == ["queue.md", "sub/agents.txt"]  # .bin skipped
    assert store["coordinator"]["workflow"]["steps"] == 1


def test_list_filters_by_type_and_status(store: dict) -> None:
    db = store["db"]
    everything = ok_json(db, "list")
    assert [s["id"] for s in everything["swarms"]] == [store["swarm"]["id"]]
    assert len(everything["agents"]) == 4
    nps = ok_json(db, "list", "--type", "neural-processor", "--status", "idle")["agents"]
    assert {a["id"] for a in nps} == {a["id"] for a in store["nps"]["agents"]}
    assert ok_json(db, "list", "--status", "busy")["agents"] == []


def test_train_reports_the_model_curve_and_png(store: dict) -> None:
    t = store["trained"]
    assert t["task"]["status"] == "completed" and t["model_id"].startswith("model-")
    assert t["metrics"]["epochs_run"] == 60
    assert len(t["history"]["mse"]) == 60 and t["history"]["epoch"][-1] == 60
    png = Path(t["plot"]).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_train_without_json_draws_the_learning_curve(store: dict) -> None:
    r = ruv_swarm(
        store["db"],
        "train",
        str(store["tmp"] / "xor.data"),
        "--layers",
        "3",
        "--epochs",
        "30",
        "--desired-error",
        "0",
    )
    assert r.code == 0, r.err
    assert "training MSE (log scale)" in r.out and "epoch 30" in r.out and "•" in r.out


def test_predict_and_evaluate_use_the_stored_model(store: dict) -> None:
    db, model = store["db"], store["trained"]["model_id"]
    out = ok_json(db, "predict", model, "[[-1, -1], [-1, 1], [1, -1], [1, 1]]")
    assert len(out["outputs"]) == 4 and all(len(r) == 1 for r in out["outputs"])
    from_file = ok_json(db, "predict", model, str(store["tmp"] / "xor.data"))
    assert from_file["outputs"] == out["outputs"]
    metrics = ok_json(db, "evaluate", model, str(store["tmp"] / "xor.data"))["metrics"]
    assert metrics["n_samples"] == 4 and metrics["mse"] >= 0


def test_orchestrate_a_text_task_answers_from_the_knowledge_base(store: dict) -> None:
    doc = ok_json(store["db"], "orchestrate", "--task", "what bounds the task queue?")
    task = doc["task"]
    assert task["status"] == "completed" and task["kind"] == "orchestrate"
    assert "max_queued_tasks" in task["result"]["answer"]


def test_orchestrate_runs_the_coordinators_stored_workflow(store: dict) -> None:
    doc = ok_json(
        store["db"],
        "orchestrate",
        "--task",
        json.dumps({"kind": "workflow", "inputs": {"epochs": 7}}),
    )
    assert doc["task"]["status"] == "completed", doc
    assert "wf-ran" in json.dumps(doc["task"]["result"])


def test_orchestrate_from_a_task_file_with_a_strategy(store: dict) -> None:
    task_file = store["tmp"] / "task.json"
    task_file.write_text(
        json.dumps(
            {"kind": "train", "data": str(store["tmp"] / "xor.data"), "layers": [2], "epochs": 10}
        )
    )
    doc = ok_json(store["db"], "orchestrate", "--strategy", "divergent", "--task", f"@{task_file}")
    assert doc["task"]["status"] == "completed" and doc["task"]["strategy"] == "divergent"


def test_status_of_store_task_and_agent(store: dict) -> None:
    db = store["db"]
    overview = ok_json(db, "status")
    (s,) = overview["swarms"]
    assert s["swarm"]["id"] == store["swarm"]["id"]
    assert s["models"] >= 1 and s["documents"] == 2 and s["agents_by_type"]["researcher"] == 1
    assert overview["db"].endswith("swarm.db")
    task_id = store["trained"]["task"]["id"]
    assert ok_json(db, "status", "--task-id", task_id)["task"]["id"] == task_id
    agent_id = store["researcher"]["agents"][0]["id"]
    assert ok_json(db, "status", "--agent-id", agent_id)["agent"]["type"] == "researcher"


def test_terminate_an_agent(store: dict) -> None:
    db = store["db"]
    (agent,) = ok_json(db, "spawn", "analyst")["agents"]
    out = ok_json(db, "terminate", "--agent-id", agent["id"])
    assert out["agent"]["status"] == "terminated"
    gone = ok_json(db, "list", "--status", "terminated")["agents"]
    assert agent["id"] in {a["id"] for a in gone}
    again = ruv_swarm(db, "terminate", "--agent-id", agent["id"])
    assert again.code == 1 and len(again.err_lines) == 1 and "terminated" in again.err


def test_monitor_for_a_while_reports_the_state(store: dict) -> None:
    doc = ok_json(store["db"], "monitor", "--duration", "1.5s", "--interval", "0.2")
    assert doc["polls"] >= 2 and 1.4 <= doc["duration_seconds"] < 30
    assert {a["id"] for a in store["nps"]["agents"]} <= {a["id"] for a in doc["agents"]}
    assert doc["events"] == []  # nothing else works on this store meanwhile
    assert doc["last_event_id"] > 0


def test_export_then_import_into_a_fresh_store_round_trips(store: dict, tmp_path: Path) -> None:
    db, fresh = store["db"], tmp_path / "fresh.db"
    out = tmp_path / "export.json"
    exported = ok_json(db, "export", "--format", "json", "--output", str(out))
    assert exported["swarms"][0]["id"] == store["swarm"]["id"] and out.stat().st_size > 0
    imported = ok_json(fresh, "import", "--file", str(out))
    assert imported["swarms"] == exported["swarms"]
    for args in (("list", "--limit", "1000"),):
        a, b = ok_json(db, *args), ok_json(fresh, *args)
        assert a["swarms"] == b["swarms"]
        assert [x["id"] for x in a["agents"]] == [x["id"] for x in b["agents"]]
    sa, sb = ok_json(db, "status")["swarms"][0], ok_json(fresh, "status")["swarms"][0]
    for key in ("agents_by_type", "models", "documents", "memory_entries"):
        assert sa[key] == sb[key], key
    # the imported model predicts what the original does
    model = store["trained"]["model_id"]
    rows = "[[-1, 1], [1, 1]]"
    assert ok_json(fresh, "predict", model, rows) == ok_json(db, "predict", model, rows)
    # a second import clashes and changes nothing
    again = ruv_swarm(fresh, "import", "--file", str(out))
    assert again.code == 1 and "already exists" in again.err and len(again.err_lines) == 1
    # one swarm alone, and no overwrite without --force
    one = tmp_path / "one.json"
    ok_json(db, "export", "--swarm-id", store["swarm"]["id"], "--output", str(one))
    refused = ruv_swarm(db, "export", "--output", str(one))
    assert refused.code == 2 and "--force" in refused.err


def test_benchmark_prints_measured_figures(store: dict) -> None:
    doc = ok_json(store["db"], "benchmark", "--agents", "2", "--duration", "3s")
    phases = {p["phase"].split(" x")[0].split(" (")[0]: p for p in doc["phases"]}
    assert {"spawn agent", "query agents", "first train", "train", "predict"} <= set(phases)
    for p in doc["phases"]:
        assert p["operations"] >= 1 and p["total_seconds"] > 0 and p["p50_ms"] > 0
    assert phases["spawn agent"]["operations"] == 2
    assert doc["duration_seconds"] >= 3 and len(doc["loadavg"]) == 3
    # the scratch swarm is gone again
    assert [s["id"] for s in ok_json(store["db"], "list")["swarms"]] == [store["swarm"]["id"]]
    table = ruv_swarm(store["db"], "benchmark", "--agents", "1", "--duration", "1s")
    assert table.code == 0 and "p95 ms" in table.out and "load average" in table.out
