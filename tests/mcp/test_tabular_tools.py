"""Tables through the real MCP client: train on a CSV by target, predict by records (class
names and scores), evaluate on another file (named confusion matrix), inline tables and
records, the ruv-swarm profile's neural_train, and bad table arguments answered by field."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from mcp import Client

from tests.mcp.test_tools_inmemory import Call, error_text, run_with_client

DATA = Path(__file__).resolve().parent.parent / "data"
CLASSES = ["tested_negative", "tested_positive"]


def _roots(tmp_path: Any) -> tuple[str, ...]:
    """The shipped tables and the test's own files are inside the server's data roots."""
    return (str(Path(__file__).resolve().parents[1] / "data"), str(tmp_path))


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content[0].text
    return result.structured_content


def test_csv_train_predict_records_evaluate_export(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        trained = ok(
            await call(
                "train",
                {
                    "data": str(DATA / "diabetes.csv"),
                    "target": "diabetes",
                    "layers": [8],
                    "epochs": 80,
                    "seed": 3,
                    "validation_split": 0.2,
                },
            )
        )
        table = trained["table"]
        assert table["classes"] == CLASSES and table["stratified_split"] is True
        assert [c["name"] for c in table["left_out"]] == ["patient_id"]
        assert trained["is_classifier"] is True
        mid = trained["model_id"]
        pred = ok(
            await call(
                "predict",
                {"model_id": mid, "records": [{"glucose": 0.9, "bmi": 0.7}, {"glucose": 0.2}]},
            )
        )
        assert pred["class_names"] == CLASSES and len(pred["classes"]) == 2
        assert set(pred["classes"]) <= set(CLASSES) and set(pred["scores"][0]) == set(CLASSES)
        ev = ok(await call("evaluate", {"model_id": mid, "data": str(DATA / "diabetes_test.csv")}))
        m = ev["metrics"]
        assert m["classes"] == CLASSES and 0.6 < m["accuracy"] <= 1.0
        assert set(m["confusion_matrix"]) == set(CLASSES) and m["n_samples"] == 384
        # the native export carries the preprocessing: the import predicts records alike
        exported = ok(await call("model_export", {"model_id": mid}))
        imported = ok(await call("model_import", {"content": exported["content"]}))
        again = ok(
            await call(
                "predict",
                {
                    "model_id": imported["id"],
                    "records": [{"glucose": 0.9, "bmi": 0.7}, {"glucose": 0.2}],
                },
            )
        )
        assert again["scores"] == pred["scores"]
        assert base64.b64decode(exported["content"])[:2] == b"PK"

    run_with_client(tmp_path, body, data_roots=_roots(tmp_path))


def test_inline_tables_and_bad_table_arguments(tmp_path) -> None:
    rows = [
        [i % 7, ["red", "green", "blue"][i % 3], "big" if i % 7 > 3 else "small"] for i in range(60)
    ]

    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        inline = {"columns": ["size", "colour", "label"], "rows": rows}
        args = {"target": "label", "layers": [4], "epochs": 200, "seed": 1}
        a = ok(await call("train", {"data": inline, **args}))
        kinds = {c["name"]: c["kind"] for c in a["table"]["columns"]}
        assert kinds == {"size": "numeric", "colour": "categorical"}
        records = [dict(zip(inline["columns"], r, strict=True)) for r in rows]
        b = ok(await call("train", {"data": records, **args}))
        assert b["table"]["classes"] == ["big", "small"]
        p = ok(
            await call(
                "predict", {"model_id": b["model_id"], "records": [{"size": 6, "colour": "purple"}]}
            )
        )
        assert p["classes"] == ["big"]
        p = ok(await call("predict", {"model_id": b["model_id"], "inputs": [[1, 0]]}))
        assert len(p["classes"]) == 1

        missing_col = error_text(await call("train", {"data": inline, "target": "churned"}))
        assert "target 'churned' is not a column of the table (it has 3 columns)" in missing_col
        no_target = error_text(await call("train", {"data": str(DATA / "diabetes.csv")}))
        assert "needs target" in no_target
        bad_mode = error_text(
            await call("train", {"data": inline, "target": "label", "missing": "zero"})
        )
        assert "missing" in bad_mode
        both = error_text(await call("predict", {"model_id": b["model_id"]}))
        assert "records" in both

    run_with_client(tmp_path, body, data_roots=_roots(tmp_path))


def test_compat_neural_train_takes_a_table(tmp_path) -> None:
    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        out = ok(
            await call(
                "neural_train",
                {"data": str(DATA / "abalone.csv"), "target": "rings", "iterations": 20},
            )
        )
        assert out["table"]["task"] == "regression" and out["model_id"]

    run_with_client(tmp_path, body, profile="ruv-swarm", data_roots=_roots(tmp_path))


def test_compat_neural_train_takes_the_table_options_of_train(tmp_path) -> None:
    # the same file as semicolon-separated text with a .txt name: only delimiter/data_format
    # make it readable, and missing="drop" must train on fewer rows than impute does
    text = (DATA / "diabetes.csv").read_text().replace(",", ";")
    assert ";;" in text or ";\n" in text  # the shipped table has blanked cells
    (tmp_path / "diabetes.txt").write_text(text)
    args = {
        "data": str(tmp_path / "diabetes.txt"),
        "target": "diabetes",
        "iterations": 10,
        "data_format": "csv",
        "delimiter": ";",
        "validation_split": 0.25,
    }

    async def body(client: Client, call: Call) -> None:
        ok(await call("swarm_init", {}))
        imputed = ok(await call("neural_train", args))
        dropped = ok(await call("neural_train", {**args, "missing": "drop"}))
        assert imputed["table"]["task"] == "classification"
        assert imputed["table"]["stratified_split"] is True  # validation_split reached the engine
        assert imputed["table"]["rows_used"] == imputed["table"]["rows_read"]
        assert 0 < dropped["table"]["rows_dropped_missing"]
        assert dropped["table"]["rows_used"] < imputed["table"]["rows_used"]
        bad = error_text(await call("neural_train", {**args, "missing": "guess"}))
        assert "missing" in bad

    run_with_client(tmp_path, body, profile="ruv-swarm", data_roots=_roots(tmp_path))
