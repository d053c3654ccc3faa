"""Tables in: every source format read to the same columns (with and without pyarrow),
malformed files answered with the line and the problem (never the file's content), column
kinds, missing cells and categories, and train / predict / evaluate / export / restart through
the engine on real public data (PROBEN1 diabetes, DELVE abalone in tests/data)."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from swarm_core import (
    EngineConfig,
    LimitExceededError,
    TaskFailedError,
    TaskStatus,
    ValidationError,
)
from swarm_core import _tabular_io as tio
from swarm_core._engine import Engine
from swarm_core._tabular import PrepLimits, Preprocessor, prepare_training

DATA = Path(__file__).resolve().parent.parent / "data"
LIMITS = tio.TableLimits(
    max_rows=10_000, max_columns=100, max_cells=1_000_000, max_file_bytes=10**8
)
PREP = PrepLimits(max_category_levels=3, max_classes=10, max_inputs=1000)
SECRET = "SECRET-CELL-77"

ROWS = [
    ["id", "age", "plan", "active", "churned"],
    ["c1", "53", "pro", "true", "no"],
    ["c2", "", "basic", "false", "yes"],
    ["c3", "41.5", "pro", "true", "no"],
    ["c4", "29", "NA", "", "yes"],
]


def _write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    return path


def _expect_churn(t: tio.Table) -> None:
    assert t.names == ["id", "age", "plan", "active", "churned"]
    age = t.column("age")
    assert age is not None and age.kind == "numeric"
    assert np.array_equal(np.isnan(age.values), [False, True, False, False])  # type: ignore[arg-type]
    assert np.allclose(age.values[[0, 2, 3]], [53, 41.5, 29])  # type: ignore[index]
    plan = t.column("plan")
    assert plan is not None and plan.kind == "string"
    assert [plan.levels[c] if c >= 0 else None for c in plan.codes] == ["pro", "basic", "pro", None]  # type: ignore[union-attr]
    active = t.column("active")
    assert active is not None and active.kind == "boolean"
    assert np.array_equal(active.values[:3], [1, 0, 1]) and np.isnan(active.values[3])  # type: ignore[index]


@pytest.fixture(params=["pyarrow", "stdlib"])
def reader(request: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(tio, "_pyarrow", lambda: None)
    return str(request.param)


def test_csv_tsv_and_semicolons_read_alike(tmp_path: Path, reader: str) -> None:
    for name, delim in (("t.csv", ","), ("t.tsv", "\t"), ("semi.csv", ";"), ("pipe.txt", "|")):
        t = tio.read_table(_write_csv(tmp_path / name, ROWS, delim), LIMITS)
        _expect_churn(t)


def test_quoted_fields_and_headerless(tmp_path: Path, reader: str) -> None:
    p = tmp_path / "q.csv"
    p.write_text('name,note,y\n"a, b","said ""hi""",1\n"c","multi\nline",2\n')
    t = tio.read_table(p, LIMITS)
    note = t.column("note")
    assert note is not None and sorted(note.levels) == ["multi\nline", 'said "hi"']
    bare = _write_csv(tmp_path / "bare.csv", [["1", "2.5", "x"], ["3", "4", "y"]])
    t = tio.read_table(bare, LIMITS)
    assert t.names == ["col1", "col2", "col3"] and t.n_rows == 2
    t = tio.read_table(bare, LIMITS, header=True)
    assert t.n_rows == 1


def test_cells_padded_with_spaces_keep_their_kinds(tmp_path: Path, reader: str) -> None:
    p = tmp_path / "padded.csv"
    p.write_text("id, age, plan, active\n1, 53, pro, true\n2, , basic, false\n3, 41.5, pro, true\n")
    t = tio.read_table(p, LIMITS)
    assert t.names == ["id", "age", "plan", "active"]
    kinds = {c.name: c.kind for c in t.columns}
    assert kinds == {"id": "numeric", "age": "numeric", "plan": "string", "active": "boolean"}
    assert np.isnan(t.column("age").values[1])  # type: ignore[index, union-attr]


def test_all_number_file_reads_alike(tmp_path: Path, reader: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((70_000, 3)).astype(np.float32)  # more than one chunk of rows
    p = tmp_path / "n.csv"
    p.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.9g}" for v in r) for r in x) + '\n"1",2,3\n')
    t = tio.read_table(p, tio.TableLimits(100_000, 10, 10**6, 10**8))
    assert t.n_rows == 70_001 and [c.kind for c in t.columns] == ["numeric"] * 3
    assert np.array_equal(t.column("b").values[:-1], x[:, 1])  # type: ignore[index, union-attr]
    assert t.column("a").values[-1] == 1  # type: ignore[index, union-attr]


def _same_tables(a: tio.Table, b: tio.Table) -> None:
    assert a.names == b.names and a.source == b.source and a.n_rows == b.n_rows
    for ca, cb in zip(a.columns, b.columns, strict=True):
        assert (ca.kind, ca.levels) == (cb.kind, cb.levels), ca.name
        if ca.values is None:
            assert np.array_equal(ca.codes, cb.codes)  # type: ignore[arg-type]
        else:
            assert np.array_equal(ca.values, cb.values, equal_nan=True), ca.name  # type: ignore[arg-type]


def _pieces_and_one_pass(
    path: Path, monkeypatch: pytest.MonkeyPatch, limits: tio.TableLimits = LIMITS
) -> tuple[tio.Table, tio.Table, list[bool]]:
    """The table read in pieces of ~64 bytes and in one streaming pass, and what each pieces
    attempt answered (False: it handed the file back to the one-pass reader)."""
    pytest.importorskip("pyarrow")
    used: list[bool] = []
    real = tio._read_numbers_in_pieces

    def spy(*args: Any) -> bool:
        used.append(real(*args))
        return used[-1]

    with monkeypatch.context() as m:
        m.setattr(tio, "PIECE_BYTES", 64)
        m.setattr(tio, "_read_numbers_in_pieces", spy)
        pieces = tio.read_table(path, limits)
    with monkeypatch.context() as m:
        m.setattr(tio, "PIECE_BYTES", 10**12)
        one_pass = tio.read_table(path, limits)
    return pieces, one_pass, used


def test_number_file_read_in_pieces_equals_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    lines = ["a,b,flag,gaps"]
    for i in range(400):
        gap = "" if i % 7 == 0 else f"{rng.standard_normal():.6g}"
        flag = "true" if i % 3 else "false"
        lines.append(f"{rng.standard_normal():.6g},{i},{flag},{gap}")
        if i % 50 == 0:
            lines.append("")  # blank lines are skipped alike
    body = "\r\n".join(lines)  # CRLF, a BOM and no final line break
    p = tmp_path / "n.csv"
    p.write_bytes(b"\xef\xbb\xbf" + body.encode())
    pieces, one_pass, used = _pieces_and_one_pass(p, monkeypatch)
    assert used == [True]
    assert [c.kind for c in pieces.columns] == ["numeric", "numeric", "boolean", "numeric"]
    assert pieces.n_rows == 400
    _same_tables(pieces, one_pass)

    headerless = tmp_path / "h.csv"
    headerless.write_text("\n".join(lines[1:]) + "\n")
    bare, bare_one_pass, used = _pieces_and_one_pass(headerless, monkeypatch)
    assert used == [True] and bare.names[0] == "col1"
    _same_tables(bare, bare_one_pass)

    # a short row estimate grows the columns instead of losing rows
    with monkeypatch.context() as m:
        m.setattr(tio, "_rows_estimate", lambda *a: 3)
        grown, _, used = _pieces_and_one_pass(p, m)
    assert used == [True]
    _same_tables(grown, one_pass)


def test_pieces_hand_quotes_and_late_text_to_the_one_pass_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "\n".join(f"{i},{i * 0.5}" for i in range(300))
    quoted_header = tmp_path / "r.csv"  # as R writes them: names quoted, numbers bare
    quoted_header.write_text('"x","y"\n' + rows + "\n")
    pieces, one_pass, used = _pieces_and_one_pass(quoted_header, monkeypatch)
    assert used == [True] and pieces.names == ["x", "y"]
    _same_tables(pieces, one_pass)

    # a quote after the header: a line break could stand inside a value, so no split is safe
    quoted = tmp_path / "q.csv"
    quoted.write_text("x,y\n" + rows + '\n"7",8\n')
    pieces, one_pass, used = _pieces_and_one_pass(quoted, monkeypatch)
    assert used == [False] and pieces.n_rows == 301
    _same_tables(pieces, one_pass)

    # text far past the sniffed types: that column is read again as text, the rest alike
    late = tmp_path / "late.csv"
    late.write_text("x,y\n" + rows + "\nseven,8\n")
    pieces, one_pass, _ = _pieces_and_one_pass(late, monkeypatch)
    assert [c.kind for c in pieces.columns] == ["string", "numeric"]
    _same_tables(pieces, one_pass)

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y\n" + rows + f"\n1,2,{SECRET}\n")
    with monkeypatch.context() as m:
        m.setattr(tio, "PIECE_BYTES", 64)
        with pytest.raises(ValidationError) as e:
            tio.read_table(ragged, LIMITS)
    assert "line 302: 3 fields, expected 2" in str(e.value) and SECRET not in str(e.value)

    small = tio.TableLimits(max_rows=100, max_columns=10, max_cells=10**6, max_file_bytes=10**6)
    with monkeypatch.context() as m:
        m.setattr(tio, "PIECE_BYTES", 64)
        with pytest.raises(LimitExceededError, match="max_dataset_samples"):
            tio.read_table(quoted_header, small)


def test_jsonl_records_and_inline_forms(tmp_path: Path, reader: str) -> None:
    records = [dict(zip(ROWS[0], r, strict=True)) for r in ROWS[1:]]
    for r in records:
        r["age"] = float(r["age"]) if r["age"] else None
        r["active"] = {"true": True, "false": False}.get(r["active"])
    p = tmp_path / "t.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    _expect_churn(tio.read_table(p, LIMITS))
    _expect_churn(tio.table_from_records(records, LIMITS))
    rows = [[r[c] for c in ROWS[0]] for r in records]
    _expect_churn(tio.table_from_columns_rows({"columns": ROWS[0], "rows": rows}, LIMITS))


def test_numpy_files(tmp_path: Path) -> None:
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "x.npy", x)
    t = tio.read_table(tmp_path / "x.npy", LIMITS)
    assert t.names == ["col1", "col2", "col3"]
    assert np.array_equal(t.column("col3").values, x[:, 2])  # type: ignore[union-attr]
    np.savez(tmp_path / "d.npz", X=x[:, :2], plan=np.array(["a", "b", "a", "c"]), y=x[:, 2])
    t = tio.read_table(tmp_path / "d.npz", LIMITS)
    assert t.names == ["X1", "X2", "plan", "y"]
    assert t.column("plan").kind == "string"  # type: ignore[union-attr]
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValidationError, match=r"not a readable \.npy"):
        tio.read_table(tmp_path / "obj.npy", LIMITS)


def test_parquet_and_its_clear_error_without_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": ["c1", "c2", "c3", "c4"],
            "age": [53.0, None, 41.5, 29.0],
            "plan": ["pro", "basic", "pro", None],
            "active": [True, False, True, None],
            "churned": ["no", "yes", "no", "yes"],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    _expect_churn(tio.read_table(tmp_path / "t.parquet", LIMITS))
    monkeypatch.setattr(tio, "_pyarrow", lambda: None)
    with pytest.raises(ValidationError, match=r"pip install 'ruv-swarm-mcp\[tabular\]'"):
        tio.read_table(tmp_path / "t.parquet", LIMITS)


def test_malformed_files_name_the_line_never_the_content(tmp_path: Path, reader: str) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(f"a,b,c\n1,2,3\n4,5,6\n7,{SECRET}\n8,9,10\n")
    with pytest.raises(ValidationError) as e:
        tio.read_table(ragged, LIMITS)
    assert "line 4: 2 fields, expected 3" in str(e.value) and SECRET not in str(e.value)

    quotes = tmp_path / "quotes.csv"
    quotes.write_text(f'a,b\n1,2\n3,"{SECRET}\n5,6\n')  # the quote never closes
    with pytest.raises(ValidationError) as e:
        tio.read_table(quotes, LIMITS)
    assert "line " in str(e.value) and "CSV" in str(e.value) and SECRET not in str(e.value)

    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text(f'{{"a": 1}}\n{{"a": "{SECRET}"\n')
    with pytest.raises(ValidationError) as e:
        tio.read_table(bad_json, LIMITS)
    assert "line 2: not valid JSON" in str(e.value) and SECRET not in str(e.value)

    late = tmp_path / "late.csv"  # past the sniffed sample: found by the reader itself
    late.write_bytes(b"a,b\n" + b"x,1\n" * 70_000 + b"y,\xe9\n")
    roomy = tio.TableLimits(max_rows=100_000, max_columns=10, max_cells=10**6, max_file_bytes=10**7)
    with pytest.raises(ValidationError, match="not UTF-8"):
        tio.read_table(late, roomy)

    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"a,b\n1,2\n3,\xe9\n")
    with pytest.raises(ValidationError, match="not UTF-8"):
        tio.read_table(latin, LIMITS)


def test_target_not_a_column_and_wrong_delimiter(tmp_path: Path) -> None:
    rows = [[f"{SECRET}{j}" for j in range(3)], ["1", "2", "3"], ["4", "5", "6"]]
    t = tio.read_table(_write_csv(tmp_path / "s.csv", rows), LIMITS)
    with pytest.raises(ValidationError) as e:
        prepare_training(t, target="churned", limits=PREP)
    assert str(e.value) == "target 'churned' is not a column of the table (it has 3 columns)"
    assert e.value.field == "target"
    t = tio.read_table(tmp_path / "s.csv", LIMITS, delimiter=";")
    with pytest.raises(ValidationError) as e:
        prepare_training(t, target="churned", limits=PREP)
    assert "delimiter" in str(e.value) and SECRET not in str(e.value)
    with pytest.raises(ValidationError, match="features 'nope' is not a column"):
        prepare_training(t, target=t.names[0], features=["nope"], limits=PREP)


def test_limits_are_checked(tmp_path: Path, reader: str) -> None:
    p = _write_csv(tmp_path / "big.csv", [["a", "b"], *[[str(i), str(i)] for i in range(50)]])
    small = tio.TableLimits(max_rows=20, max_columns=100, max_cells=10**6, max_file_bytes=10**6)
    with pytest.raises(LimitExceededError) as e:
        tio.read_table(p, small)
    assert e.value.limit == "max_dataset_samples"
    narrow = tio.TableLimits(max_rows=100, max_columns=1, max_cells=10**6, max_file_bytes=10**6)
    with pytest.raises(LimitExceededError, match="max_dataset_features"):
        tio.read_table(p, narrow)
    tiny = tio.TableLimits(max_rows=100, max_columns=10, max_cells=10**6, max_file_bytes=10)
    with pytest.raises(LimitExceededError, match="max_table_file_bytes"):
        tio.read_table(p, tiny)


def test_kinds_gaps_categories_on_real_data() -> None:
    t = tio.read_table(DATA / "diabetes.csv", LIMITS)
    prepared = prepare_training(
        t, target="diabetes", limits=PREP, validation_split=0.25, split_seed=3
    )
    rep = prepared.report
    assert rep["task"] == "classification"
    assert rep["classes"] == ["tested_negative", "tested_positive"]
    assert rep["left_out"] == [
        {"name": "patient_id", "reason": "identifier: a different value in every row"}
    ]
    kinds = {c["name"]: c["kind"] for c in rep["columns"]}
    assert set(kinds.values()) == {"numeric"} and len(kinds) == 8
    assert all(c["missing_indicator"] for c in rep["columns"])  # 4% blanked in every column
    assert prepared.x.shape == (384, 16) and np.isfinite(prepared.x).all()
    # stratified: each class keeps its share in the validation part
    y = prepared.y[:, 0]
    assert abs(y[prepared.valid_idx].mean() - y.mean()) < 0.02
    # a cardinality cap folds the rare levels into one "other" input
    t = tio.table_from_columns_rows(
        {"columns": ["c", "y"], "rows": [[c, float(i % 2)] for i, c in enumerate("aaaabbbccdef")]},
        LIMITS,
    )
    p = prepare_training(t, target="y", task="regression", limits=PREP)
    assert p.prep.spec["inputs"] == ["c=a", "c=b", "c=c", "c=(other)"]
    assert p.x[:, 3].sum() == 3  # d, e, f


def test_preprocessor_json_is_checked() -> None:
    t = tio.read_table(DATA / "abalone.csv", LIMITS)
    prep = prepare_training(t, target="rings", limits=PREP).prep
    again = Preprocessor.from_json(json.loads(json.dumps(prep.to_json())))
    assert np.array_equal(again.transform(t), prep.transform(t))
    broken = {**prep.to_json(), "inputs": ["x"]}
    with pytest.raises(ValidationError, match="inconsistent"):
        Preprocessor.from_json(broken)


# -- through the engine ------------------------------------------------------------------------

# these tests are about tables, not data roots (tests/swarm_core/test_data_roots.py): every
# file the engine opens here is allowed
ROOTS = ["/"]

pytestmark_anyio = pytest.mark.anyio


def _numbers(path: Path, target: str, classes: list[str] | None) -> dict[str, Any]:
    """The same table as plain numbers (the form train took before tables)."""
    t = tio.read_table(path, LIMITS)
    cols = []
    for c in t.columns:
        if c.name in (target, "patient_id"):
            continue
        if c.kind == "string":
            cols += [(c.codes == i).astype(float) for i in range(len(c.levels))]  # type: ignore[union-attr]
        else:
            v = c.values.astype(float)  # type: ignore[union-attr]
            cols.append(np.where(np.isnan(v), np.nanmedian(v), v))
    tc = t.column(target)
    assert tc is not None
    if classes is not None:
        y = np.array([[float(tc.levels[i] == classes[1])] for i in tc.codes])  # type: ignore[union-attr]
    else:
        y = tc.values.astype(float).reshape(-1, 1)  # type: ignore[union-attr]
    return {"inputs": np.stack(cols, axis=1).tolist(), "outputs": y.tolist()}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_classifier_from_csv_matches_numbers_and_predicts_records(tmp_path: Path) -> None:
    async with Engine.open(EngineConfig(data_roots=ROOTS, db=str(tmp_path / "s.db"), cpu_workers=2)) as eng:
        s = await eng.create_swarm()
        common: dict[str, Any] = {"layers": [8], "epochs": 150, "seed": 5, "desired_error": 0.0}
        info = await eng.train(
            s.id, data=str(DATA / "diabetes.csv"), target="diabetes", validation_split=0.2, **common
        )
        assert info.status is TaskStatus.COMPLETED, info.error
        mid = info.result["model_id"]  # type: ignore[index]
        assert info.result["table"]["stratified_split"] is True  # type: ignore[index]
        ev = await eng.evaluate(mid, str(DATA / "diabetes_test.csv"))
        classes = ["tested_negative", "tested_positive"]
        assert ev["classes"] == classes
        assert sum(sum(r.values()) for r in ev["confusion_matrix"].values()) == 384
        assert set(ev["per_class"]) == set(classes)

        plain = await eng.train(
            s.id, data=_numbers(DATA / "diabetes.csv", "diabetes", classes), **common
        )
        pev = await eng.evaluate(
            plain.result["model_id"], _numbers(DATA / "diabetes_test.csv", "diabetes", classes)
        )  # type: ignore[index]
        plain_accuracy = 1.0 - pev["error_pct"] / 100.0
        assert ev["accuracy"] >= plain_accuracy - 0.04, (ev["accuracy"], plain_accuracy)
        assert ev["accuracy"] > 0.7

        out = await eng.predict(
            mid,
            records=[
                {"glucose": 0.9, "bmi": 0.6, "age": 0.5, "pregnancies": 0.4},  # others missing
                {"glucose": 0.1, "bmi": 0.2, "extra_field": "ignored"},
            ],
        )
        assert out["class_names"] == classes and set(out["classes"]) <= set(classes)
        assert all(set(sc) == set(classes) for sc in out["scores"])
        with pytest.raises(TaskFailedError, match="records: 'glucose' must be a number"):
            await eng.predict(mid, records=[{"glucose": "high"}])

        # the preprocessing travels with the native export and survives a restart
        blob = await eng.export_model(mid)
        imported = await eng.import_model(s.id, base64.b64encode(blob).decode())  # type: ignore[arg-type]
        again = await eng.predict(imported.id, records=[{"glucose": 0.9, "bmi": 0.6}])
        first = await eng.predict(mid, records=[{"glucose": 0.9, "bmi": 0.6}])
        assert again["scores"] == first["scores"]
    async with Engine.open(EngineConfig(data_roots=ROOTS, db=str(tmp_path / "s.db"), cpu_workers=2)) as eng:
        after = await eng.predict(mid, records=[{"glucose": 0.9, "bmi": 0.6}])
        assert after["scores"] == first["scores"]


@pytest.mark.anyio
async def test_regressor_from_csv_matches_numbers_with_an_unseen_category() -> None:
    async with Engine.open(EngineConfig(data_roots=ROOTS, db=":memory:", cpu_workers=2)) as eng:
        s = await eng.create_swarm()
        common: dict[str, Any] = {"layers": [8], "epochs": 200, "seed": 2, "desired_error": 0.0}
        info = await eng.train(
            s.id,
            data=str(DATA / "abalone.csv"),
            target="rings",
            output_activation="linear",
            **common,
        )
        assert info.status is TaskStatus.COMPLETED, info.error
        mid = info.result["model_id"]  # type: ignore[index]
        kinds = {c["name"]: c["kind"] for c in info.result["table"]["columns"]}  # type: ignore[index]
        assert kinds["sex"] == "categorical" and info.result["table"]["task"] == "regression"  # type: ignore[index]
        ev = await eng.evaluate(mid, str(DATA / "abalone_test.csv"))
        plain = await eng.train(
            s.id,
            data=_numbers(DATA / "abalone.csv", "rings", None),
            output_activation="linear",
            **common,
        )
        pev = await eng.evaluate(
            plain.result["model_id"], _numbers(DATA / "abalone_test.csv", "rings", None)
        )  # type: ignore[index]
        assert ev["rmse"] <= pev["target_rmse"] * 1.1, (ev["rmse"], pev["target_rmse"])
        assert ev["r2"] > 0.3 and ev["mae"] < ev["rmse"]
        out = await eng.predict(
            mid, records=[{"sex": "X", "length": 0.5, "diameter": 0.4}, {"sex": None}]
        )
        assert out["targets"] == ["rings"] and np.isfinite(out["outputs"]).all()


@pytest.mark.anyio
async def test_engine_answers_bad_table_inputs() -> None:
    async with Engine.open(
        EngineConfig(data_roots=ROOTS, db=":memory:", cpu_workers=1, max_category_levels=5)
    ) as eng:
        s = await eng.create_swarm()
        csv_path = str(DATA / "diabetes.csv")
        info = await eng.train(s.id, data=csv_path, layers=[2], epochs=1)
        assert info.status is TaskStatus.FAILED and "needs target" in (info.error or "")
        info = await eng.train(s.id, data=str(DATA / "xor.data"), target="y", epochs=1)
        assert info.status is TaskStatus.FAILED and "no named columns" in (info.error or "")
        info = await eng.train(s.id, data=csv_path, target="diabetes", missing="zero", epochs=1)
        assert info.status is TaskStatus.FAILED and "missing" in (info.error or "")
        info = await eng.train(
            s.id, data={"columns": ["a", "b"], "rows": [[1, "x"], [2]]}, target="b", epochs=1
        )
        assert info.status is TaskStatus.FAILED and "data.rows[1]" in (info.error or "")
        plain = await eng.train(s.id, data={"inputs": [[0], [1]], "outputs": [[0], [1]]}, epochs=1)
        with pytest.raises(TaskFailedError, match="pass inputs"):
            await eng.predict(plain.result["model_id"], records=[{"a": 1}])  # type: ignore[index]
