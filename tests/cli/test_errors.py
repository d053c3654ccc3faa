"""Bad input and unusable stores: exit 1 or 2, one error line naming the problem, no traceback,
and with --json one error document on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import XOR_DATA, ok_json, ruv_swarm


def one_error(r, code: int, *needles: str) -> None:  # type: ignore[no-untyped-def]
    assert r.code == code, (r.code, r.out, r.err)
    assert len(r.err_lines) == 1, r.err
    assert "Traceback" not in r.err and r.err_lines[0].startswith("ruv-swarm")
    for needle in needles:
        assert needle in r.err, r.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("list", "--bogus"), "--bogus"),
        (("init", "--topology", "cube"), "cube"),
        (("spawn",), "TYPE"),
        (("spawn", "wizard"), "wizard"),
        (("spawn", "coder", "--parallel", "0"), "--parallel"),
        (("status", "--agent-id", "a", "--task-id", "t"), "not both"),
        (("train", "missing.data"), "missing.data"),
        (("orchestrate", "--task", "{not json"), "--task"),
        (("orchestrate", "--task", "x", "--wait", "soon"), "--wait"),
        (("monitor", "--duration", "-3"), "--duration"),
        (("nosuchcommand",), "nosuchcommand"),
    ],
)
def test_usage_errors_exit_2_with_one_line(db: Path, args: tuple[str, ...], needle: str) -> None:
    one_error(ruv_swarm(db, *args), 2, needle)


def test_usage_error_with_json_prints_an_error_document(db: Path) -> None:
    r = ruv_swarm(db, "list", "--json", "--bogus")
    one_error(r, 2, "--bogus")
    assert r.doc["ok"] is False and r.doc["error"]["exit_code"] == 2


def test_a_store_without_swarm_says_to_run_init(db: Path) -> None:
    r = ruv_swarm(db, "spawn", "researcher")
    one_error(r, 1, "ruv-swarm init")
    r = ruv_swarm(db, "orchestrate", "--task", "hello", "--json")
    assert r.code == 1 and r.doc["error"]["message"].endswith("`ruv-swarm init`")


def test_engine_errors_exit_1_naming_the_id(db: Path, tmp_path: Path) -> None:
    ok_json(db, "init")
    one_error(ruv_swarm(db, "predict", "model-nope", "[[1, 2]]"), 1, "model-nope")
    one_error(ruv_swarm(db, "status", "--task-id", "task-nope"), 1, "task-nope")
    one_error(ruv_swarm(db, "terminate", "--agent-id", "agent-nope"), 1, "agent-nope")
    one_error(ruv_swarm(db, "list", "--swarm-id", "swarm-nope"), 1, "swarm-nope")
    (tmp_path / "xor.data").write_text(XOR_DATA)
    model = ok_json(db, "train", str(tmp_path / "xor.data"), "--epochs", "5")["model_id"]
    one_error(ruv_swarm(db, "predict", model, "[[1, 2, 3]]"), 1, "2 numbers")


def test_spawn_refuses_a_bad_knowledge_base_before_spawning(db: Path, tmp_path: Path) -> None:
    ok_json(db, "init")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "good.md").write_text("fine\n")
    (kb / "bad.txt").write_bytes(b"secret \xff\xfe content")
    r = ruv_swarm(db, "spawn", "researcher", "--knowledge-base", str(kb))
    one_error(r, 1, "bad.txt", "UTF-8")
    assert "secret" not in r.err  # never the file's content
    (kb / "bad.txt").unlink()
    (kb / "big.md").write_text("x" * (4 * 1024 * 1024 + 1))
    one_error(
        ruv_swarm(db, "spawn", "researcher", "--knowledge-base", str(kb)),
        1,
        "big.md",
        "max_document_bytes",
    )
    one_error(ruv_swarm(db, "spawn", "coder", "--knowledge-base", str(kb)), 2, "researcher")
    assert ok_json(db, "list")["agents"] == []  # nothing was spawned by the refusals


def test_spawn_refuses_a_bad_workflow(db: Path, tmp_path: Path) -> None:
    ok_json(db, "init")
    wf = tmp_path / "wf.yaml"
    wf.write_text("steps: [{uses: train}]\n")
    one_error(ruv_swarm(db, "spawn", "coordinator", "--workflow", str(wf)), 1, "name")
    wf.write_text("steps: [ unclosed\n")
    one_error(ruv_swarm(db, "spawn", "coordinator", "--workflow", str(wf)), 1, "YAML")
    r = ruv_swarm(db, "orchestrate", "--task", '{"kind": "workflow"}')
    one_error(r, 1, "no stored workflow")


def test_spawn_beyond_max_agents_is_refused_whole(db: Path) -> None:
    ok_json(db, "init", "--max-agents", "3")
    one_error(ruv_swarm(db, "spawn", "coder", "--parallel", "4"), 1, "max_agents")
    assert ok_json(db, "list")["agents"] == []


def test_import_refuses_a_file_that_is_not_an_export(db: Path, tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"format": "something else"}')
    one_error(ruv_swarm(db, "import", "--file", str(f)), 1, "not a swarm export")
    f.write_text("{broken")
    one_error(ruv_swarm(db, "import", "--file", str(f)), 1, "not valid JSON")
    one_error(ruv_swarm(db, "import", "--file", str(f), "--max-bytes", "1024"), 1, "JSON")
    f.write_text(" " * 2048)
    one_error(ruv_swarm(db, "import", "--file", str(f), "--max-bytes", "1024"), 1, "--max-bytes")


def test_a_bad_db_url_is_one_line(tmp_path: Path) -> None:
    r = ruv_swarm(tmp_path / "x.db", "list", "--db", "nosuchdialect://x")
    one_error(r, 1, "nosuchdialect")
