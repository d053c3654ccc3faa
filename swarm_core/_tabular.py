"""Tables to network inputs and back: column kinds, categories, missing cells, target classes.

A `Preprocessor` is fitted on the training rows of a `Table` and stored with the model (JSON in
the model's metadata and in its native export), so predict and evaluate apply exactly what
training did.

Column kinds (inferred, reported by train):
* numeric: standardised ``(x - mean) / std`` (std 1 when constant);
* boolean: true/false text, booleans, or numbers that are only 0 and 1: one 0/1 input;
* categorical: text; one-hot over the ``max_category_levels`` most frequent levels, the rest
  share one "other" input (present only when some level was folded into it);
* identifier: text unique per row, or whole numbers forming a permutation of a contiguous range
  (1..n): left out, unless named in ``features``.
Missing cells (empty, NA, NaN, null, ...): with ``missing="impute"`` (default) replaced by the
training median (numeric; of a 100,000-value sample for longer columns), the most frequent value (boolean, categorical), plus one 0/1
indicator input per column that had gaps in training; with ``missing="drop"`` those rows are
left out of training. A predict record that lacks a feature, or has it null, is imputed the same
way; an unseen category turns on the column's "other" input when it has one, else none of its
inputs.

Target: text or boolean -> a classifier over the sorted class names (two classes: one 0/1
output; more: one-hot); numeric -> a regressor (``task`` forces either).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from swarm_core._exceptions import LimitExceededError, ValidationError
from swarm_core._limits import MISSING_MODES
from swarm_core._limits import TABULAR_TASKS as TASKS
from swarm_core._tabular_io import (
    FALSE_TOKENS,
    TRUE_TOKENS,
    Column,
    Table,
    TableLimits,
    column_from_values,
)

FORMAT = "ruv-swarm.tabular"
VERSION = 1
# text / whole-number columns unique per row count as identifiers only from this many rows on
MIN_ROWS_FOR_IDENTIFIER = 20
# numeric gaps are filled with the median of at most this many training values
MEDIAN_SAMPLE = 100_000
_TRUE_LOWER = {t.lower() for t in TRUE_TOKENS} | {"yes", "y", "t", "1"}
_FALSE_LOWER = {t.lower() for t in FALSE_TOKENS} | {"no", "n", "f", "0"}

Task = Literal["classification", "regression"]


@dataclass(frozen=True, slots=True)
class PrepLimits:
    max_category_levels: int
    max_classes: int
    max_inputs: int


def _name_list(field: str, value: Any) -> list[str]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise ValidationError(field, f"{field} must be a column name or a non-empty list of names")
    if len(set(names)) != len(names):
        raise ValidationError(field, f"{field} names a column twice")
    return names


def _not_a_column(field: str, name: str, table: Table) -> ValidationError:
    n = len(table.columns)
    hint = (
        "; a one-column table usually means the delimiter was not the file's: set delimiter"
        if n == 1
        else ""
    )
    return ValidationError(
        field,
        f"{field} {name!r} is not a column of the table (it has {n} column{'s' * (n != 1)}){hint}",
    )


def _binary_numeric(values: np.ndarray | None) -> bool:
    if values is None:
        return False
    head = values[:1024]  # most columns show they are not 0/1 in their first values
    if not np.isin(head[~np.isnan(head)], (0.0, 1.0)).all():
        return False
    present = values[~np.isnan(values)]
    return bool(present.size) and bool(np.isin(present, (0.0, 1.0)).all())


def _median(values: np.ndarray) -> float:
    """The median, of a seeded sample of MEDIAN_SAMPLE values for longer columns (an exact
    median of every column cost more than the parse of a 1M-row table)."""
    if values.size > MEDIAN_SAMPLE:
        values = values[np.random.default_rng(0).integers(0, values.size, MEDIAN_SAMPLE)]
    return float(np.median(values))


def _bool_codes(levels: Sequence[str]) -> np.ndarray | None:
    """0/1 (NaN for neither) per level when every level reads as a boolean, else None."""
    out = np.full(len(levels), np.nan, np.float32)
    for i, lv in enumerate(levels):
        low = lv.lower()
        if low in _TRUE_LOWER:
            out[i] = 1.0
        elif low in _FALSE_LOWER:
            out[i] = 0.0
        else:
            return None
    return out


def _is_identifier(col: Column) -> bool:
    n = len(col)
    if n < MIN_ROWS_FOR_IDENTIFIER or col.missing().any():
        return False
    if col.kind == "string":
        assert col.codes is not None
        return bool(np.unique(col.codes).size == n)
    if col.kind != "numeric":
        return False
    v = col.values
    assert v is not None
    if not np.all(v[:1024] == np.round(v[:1024])) or not np.all(v == np.round(v)):
        return False
    lo, hi = float(v.min()), float(v.max())
    return hi - lo + 1 == n and np.unique(v).size == n


# -- the fitted preprocessing --------------------------------------------------------------------


class Preprocessor:
    """The column schema, categories, imputation values and scaling of one model (JSON-able)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    @property
    def task(self) -> Task:
        return self.spec["task"]  # type: ignore[no-any-return]

    @property
    def classes(self) -> list[str] | None:
        return self.spec.get("classes")

    @property
    def features(self) -> list[dict[str, Any]]:
        return self.spec["features"]  # type: ignore[no-any-return]

    @property
    def targets(self) -> list[str]:
        return self.spec["targets"]  # type: ignore[no-any-return]

    @property
    def n_inputs(self) -> int:
        return len(self.spec["inputs"])

    def to_json(self) -> dict[str, Any]:
        return self.spec

    @classmethod
    def from_json(cls, raw: Any) -> Preprocessor:
        """Checked: the spec may come from an imported file."""
        if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
            raise ValidationError("content", "the model's table preprocessing is not readable")
        if raw.get("version") != VERSION:
            raise ValidationError(
                "content", f"table preprocessing version {raw.get('version')!r} is not supported"
            )
        try:
            spec = dict(raw)
            assert spec["task"] in ("classification", "regression")
            assert isinstance(spec["targets"], list) and spec["targets"]
            assert isinstance(spec["inputs"], list)
            width = 0
            for f in spec["features"]:
                assert isinstance(f["name"], str)
                kind = f["kind"]
                if kind == "numeric":
                    assert math.isfinite(f["mean"]) and math.isfinite(f["std"]) and f["std"] > 0
                    assert math.isfinite(f["fill"])
                    width += 1
                elif kind == "boolean":
                    assert f["fill"] in (0.0, 1.0)
                    width += 1
                elif kind == "categorical":
                    assert all(isinstance(lv, str) for lv in f["levels"])
                    assert f["fill"] is None or isinstance(f["fill"], str)
                    width += len(f["levels"]) + bool(f["other"])
                else:
                    raise AssertionError(kind)
                width += bool(f["indicator"])
            assert width == len(spec["inputs"])
            if spec["task"] == "classification":
                assert isinstance(spec["classes"], list) and len(spec["classes"]) >= 2
                assert all(isinstance(c, str) for c in spec["classes"])
        except (AssertionError, KeyError, TypeError, ValueError):
            raise ValidationError(
                "content", "the model's table preprocessing is inconsistent"
            ) from None
        return cls(spec)

    @property
    def n_outputs(self) -> int:
        if self.task == "classification":
            k = len(self.classes or ())
            return 1 if k == 2 else k
        return len(self.targets)

    # -- applying it ---------------------------------------------------------------------------

    def transform(self, table: Table) -> np.ndarray:
        """The network inputs (float32, n x n_inputs) for ``table``'s rows; features absent from
        the table are treated as missing in every row."""
        n = table.n_rows
        # column-major: each input is written as one contiguous run (the C-order copy that
        # TrainingData makes is one blocked transpose, far cheaper than 49 strided passes)
        x = np.empty((n, self.n_inputs), dtype=np.float32, order="F")
        pos = 0
        for f in self.features:
            col = table.column(f["name"])
            if f["kind"] == "categorical":
                k = len(f["levels"]) + bool(f["other"])
                codes = _codes_for(col, f["levels"], n, f["other"])
                miss = codes == -1
                if f["fill"] is not None:
                    codes = np.where(miss, f["levels"].index(f["fill"]), codes)
                block = x[:, pos : pos + k]
                block[:] = 0.0
                rows = np.flatnonzero(codes >= 0)
                block[rows, codes[rows]] = 1.0
                pos += k
            else:
                vals = _numbers_for(col, n, f["kind"])
                miss = np.isnan(vals)
                out = x[:, pos]
                if f["kind"] == "numeric":
                    mean, std = np.float32(f["mean"]), np.float32(f["std"])
                    np.subtract(vals, mean, out=out)
                    out /= std
                    if f["indicator"] or miss.any():
                        out[miss] = (np.float32(f["fill"]) - mean) / std
                else:
                    out[:] = vals
                    if f["indicator"] or miss.any():
                        out[miss] = np.float32(f["fill"])
                pos += 1
            if f["indicator"]:
                x[:, pos] = miss
                pos += 1
        return x

    def target_codes(self, table: Table, field: str = "target") -> np.ndarray:
        """Class index per row (-1 where the target is missing or a class the model has not
        seen)."""
        assert self.classes is not None
        name = self.targets[0]
        col = table.column(name)
        if col is None:
            raise _not_a_column(field, name, table)
        return _class_codes(col, self.classes, self.spec.get("class_source", "string"))

    def target_values(self, table: Table, field: str = "target") -> np.ndarray:
        """Regression targets (float32, n x targets; NaN where missing)."""
        cols = []
        for name in self.targets:
            col = table.column(name)
            if col is None:
                raise _not_a_column(field, name, table)
            cols.append(_numbers_for(col, table.n_rows, "numeric", field=field))
        return np.stack(cols, axis=1) if cols else np.empty((table.n_rows, 0), np.float32)

    def outputs_for(self, codes: np.ndarray) -> np.ndarray:
        k = len(self.classes or ())
        if k == 2:
            return codes.astype(np.float32).reshape(-1, 1)
        y = np.zeros((codes.shape[0], k), dtype=np.float32)
        y[np.arange(codes.shape[0]), codes] = 1.0
        return y

    def describe(self) -> dict[str, Any]:
        """What train reports: kinds, encoded width, dropped columns, classes."""
        return {
            "task": self.task,
            "targets": self.targets,
            "classes": self.classes,
            "columns": [
                {
                    "name": f["name"],
                    "kind": f["kind"],
                    **(
                        {"levels": len(f["levels"]), "other_bucket": f["other"]}
                        if f["kind"] == "categorical"
                        else {}
                    ),
                    "missing_indicator": f["indicator"],
                }
                for f in self.features
            ],
            "left_out": self.spec.get("left_out", []),
            "n_inputs": self.n_inputs,
            "missing": self.spec["missing"],
        }


def _codes_for(col: Column | None, levels: list[str], n: int, other: bool) -> np.ndarray:
    """Codes into ``levels`` (len(levels) = the other bucket, -1 = missing, -2 = unseen with no
    bucket: no input on)."""
    if col is None:
        return np.full(n, -1, np.int64)
    unseen = len(levels) if other else -2
    index = {lv: i for i, lv in enumerate(levels)}
    if col.kind == "string":
        assert col.codes is not None
        lut = np.array([index.get(lv, unseen) for lv in col.levels] + [-1], dtype=np.int64)
        picked: np.ndarray = lut[col.codes]  # code -1 picks the trailing -1: missing stays missing
        return picked
    assert col.values is not None
    vals = col.values
    out = np.full(n, -1, np.int64)
    present = ~np.isnan(vals)
    uniq, inv = np.unique(vals[present], return_inverse=True)
    texts = [_num_text(float(v), col.kind) for v in uniq]
    lut = np.array([index.get(t, unseen) for t in texts], dtype=np.int64)
    out[present] = lut[inv] if uniq.size else out[present]
    return out


def _num_text(v: float, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    return str(int(v)) if v.is_integer() else repr(v)


def _numbers_for(col: Column | None, n: int, kind: str, field: str = "data") -> np.ndarray:
    if col is None:
        return np.full(n, np.nan, np.float32)
    if col.values is not None:
        return col.values
    assert col.codes is not None
    # text where numbers are expected: convert each distinct level once
    if kind == "boolean":
        lut = _bool_codes(col.levels)
        if lut is None:
            lut = np.array([_bool_or_nan(lv) for lv in col.levels], dtype=np.float32)
    else:
        lut = np.array([_float_or_nan(lv) for lv in col.levels], dtype=np.float32)
        if np.isnan(lut).any():
            raise ValidationError(
                field, f"column {col.name!r} holds text where the model expects numbers"
            )
    values: np.ndarray = np.append(lut, np.float32(np.nan))[col.codes]
    return values


def _bool_or_nan(level: str) -> float:
    low = level.lower()
    return 1.0 if low in _TRUE_LOWER else 0.0 if low in _FALSE_LOWER else math.nan


def _float_or_nan(level: str) -> float:
    try:
        v = float(level)
    except ValueError:
        return math.nan
    return v if math.isfinite(v) else math.nan


def _class_codes(col: Column, classes: list[str], source: str) -> np.ndarray:
    index = {c: i for i, c in enumerate(classes)}
    if col.kind == "string":
        assert col.codes is not None
        lut = np.array([index.get(lv, -1) for lv in col.levels] + [-1], dtype=np.int64)
        codes: np.ndarray = lut[col.codes]
        return codes
    assert col.values is not None
    out = np.full(len(col), -1, np.int64)
    present = ~np.isnan(col.values)
    uniq, inv = np.unique(col.values[present], return_inverse=True)
    kind = "boolean" if source == "boolean" else "numeric"
    lut = np.array([index.get(_num_text(float(v), kind), -1) for v in uniq], dtype=np.int64)
    if uniq.size:
        out[present] = lut[inv]
    return out


# -- fitting -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Prepared:
    prep: Preprocessor
    x: np.ndarray
    y: np.ndarray
    train_idx: np.ndarray
    valid_idx: np.ndarray
    report: dict[str, Any]


def prepare_training(
    table: Table,
    *,
    target: Any,
    features: Any = None,
    missing: str = "impute",
    task: str = "auto",
    validation_split: float = 0.0,
    split_seed: int | None = None,
    limits: PrepLimits,
    base: Preprocessor | None = None,
) -> Prepared:
    """Fit the preprocessing on the training rows (a stratified split for classifiers) and
    encode every row. With ``base`` (fine-tuning) its preprocessing is reused as it is."""
    if missing not in MISSING_MODES:
        raise ValidationError("missing", f"missing must be one of {', '.join(MISSING_MODES)}")
    if task not in TASKS:
        raise ValidationError("task", f"task must be one of {', '.join(TASKS)}")
    targets = _name_list("target", target)
    for name in targets:
        if table.column(name) is None:
            raise _not_a_column("target", name, table)
    explicit = features is not None
    feats = (
        _name_list("features", features)
        if explicit
        else [n for n in table.names if n not in targets]
    )
    for name in feats:
        if table.column(name) is None:
            raise _not_a_column("features", name, table)
        if name in targets:
            raise ValidationError("features", f"features {name!r} is also the target")
    n_read = table.n_rows

    # the target decides the task; rows without a target value cannot be learned from
    tcols = [table.column(n) for n in targets]
    if base is not None:
        kind: Task = base.task
    else:
        kind = _task_of(tcols, task)
    keep = np.ones(n_read, dtype=bool)
    for c in tcols:
        assert c is not None
        keep &= ~c.missing()
    dropped_target = int(n_read - keep.sum())
    used = [table.column(n) for n in feats]
    dropped_missing = 0
    if missing == "drop":
        before = int(keep.sum())
        for c in used:
            assert c is not None
            keep &= ~c.missing()
        dropped_missing = before - int(keep.sum())
    if not keep.any():
        raise ValidationError(
            "data", "no row is left to train on (every row misses the target or a feature)"
        )
    if not keep.all():
        table = table.take(np.flatnonzero(keep))
    n = table.n_rows

    if base is not None:
        prep = base
        classes = base.classes
    else:
        classes = _classes_of(tcols[0], limits) if kind == "classification" else None  # type: ignore[arg-type]
    codes = None
    if kind == "classification":
        assert classes is not None
        col = table.column(targets[0])
        assert col is not None
        codes = _class_codes(col, classes, _class_source(col))
    train_idx, valid_idx = _split(n, validation_split, split_seed, codes)

    if base is None:
        fit_on = table.take(train_idx) if valid_idx.size else table
        prep = _fit(fit_on, feats, explicit, targets, kind, classes, missing, limits, tcols[0])
    x = prep.transform(table)
    if kind == "classification":
        assert codes is not None
        if (codes < 0).any():  # fine-tuning on a class the base model does not know
            raise ValidationError(
                "target", "the target holds a class the base model was not trained on"
            )
        y = prep.outputs_for(codes)
    else:
        y = prep.target_values(table)
    report = {
        **prep.describe(),
        "rows_read": n_read,
        "rows_used": n,
        "rows_dropped_missing_target": dropped_target,
        "rows_dropped_missing": dropped_missing,
        "source": table.source,
    }
    if kind == "classification" and codes is not None and classes is not None:
        counts = np.bincount(codes, minlength=len(classes))
        report["class_counts"] = {c: int(k) for c, k in zip(classes, counts, strict=True)}
        report["stratified_split"] = bool(valid_idx.size)
    return Prepared(prep, x, y, train_idx, valid_idx, report)


def _task_of(tcols: list[Column | None], task: str) -> Task:
    if task == "regression":
        for c in tcols:
            assert c is not None
            if c.kind == "string" and any(math.isnan(_float_or_nan(lv)) for lv in c.levels):
                raise ValidationError(
                    "target", f"target {c.name!r} holds text: it cannot be a regression target"
                )
        return "regression"
    if task == "classification":
        if len(tcols) != 1:
            raise ValidationError("target", "a classifier predicts one target column")
        return "classification"
    textual = [
        c for c in tcols if c is not None and (c.kind != "numeric" or _binary_numeric(c.values))
    ]
    if not textual:
        return "regression"
    if len(tcols) != 1:
        raise ValidationError(
            "target", "several targets must all be numeric (a classifier predicts one column)"
        )
    return "classification"


def _class_source(col: Column) -> str:
    return "string" if col.kind == "string" else "boolean" if col.kind == "boolean" else "numeric"


def _classes_of(col: Column, limits: PrepLimits) -> list[str]:
    if col.kind == "string":
        assert col.codes is not None
        present = np.unique(col.codes[col.codes >= 0])
        classes = sorted(col.levels[i] for i in present)
    else:
        assert col.values is not None
        uniq = np.unique(col.values[~np.isnan(col.values)])
        if uniq.size > limits.max_classes:
            classes = [""] * int(uniq.size)
        else:
            kind = "boolean" if col.kind == "boolean" else "numeric"
            classes = [_num_text(float(v), kind) for v in uniq]
    if len(classes) > limits.max_classes:
        raise LimitExceededError(
            "max_classes",
            len(classes),
            f"target {col.name!r} has {len(classes)} classes; the limit is max_classes="
            f"{limits.max_classes} (set task='regression' for a numeric target)",
        )
    if len(classes) < 2:
        raise ValidationError("target", f"target {col.name!r} has only one class: nothing to learn")
    return classes


def _split(
    n: int, fraction: float, seed: int | None, codes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    if fraction <= 0:
        return np.arange(n), np.empty(0, np.int64)
    rng = np.random.default_rng(seed)
    if codes is None:
        perm = rng.permutation(n)
        k = round(fraction * n)
        valid, train = perm[:k], perm[k:]
    else:  # stratified: each class split in the same proportion
        valid_parts, train_parts = [], []
        for c in np.unique(codes):
            idx = rng.permutation(np.flatnonzero(codes == c))
            k = min(round(fraction * idx.size), idx.size - 1)
            valid_parts.append(idx[:k])
            train_parts.append(idx[k:])
        valid, train = np.concatenate(valid_parts), np.concatenate(train_parts)
    if valid.size == 0 or train.size == 0:
        raise ValidationError(
            "validation_split", f"validation_split {fraction} leaves an empty part of {n} rows"
        )
    return np.sort(train), np.sort(valid)


def _fit(
    table: Table,
    feats: list[str],
    explicit: bool,
    targets: list[str],
    task: Task,
    classes: list[str] | None,
    missing: str,
    limits: PrepLimits,
    tcol: Column | None,
) -> Preprocessor:
    features: list[dict[str, Any]] = []
    inputs: list[str] = []
    left_out: list[dict[str, str]] = []
    for name in feats:
        col = table.column(name)
        assert col is not None
        miss = col.missing()
        if miss.all():
            left_out.append({"name": name, "reason": "empty: every cell is missing"})
            continue
        if not explicit and _is_identifier(col):
            left_out.append({"name": name, "reason": "identifier: a different value in every row"})
            continue
        indicator = bool(miss.any()) and missing == "impute"
        f: dict[str, Any] = {"name": name, "indicator": indicator}
        bool_lut = _bool_codes(col.levels) if col.kind == "string" else None
        if (
            col.kind == "boolean"
            or (col.kind == "numeric" and _binary_numeric(col.values))
            or bool_lut is not None
        ):
            vals = _numbers_for(col, len(col), "boolean")
            present = vals[~np.isnan(vals)]
            f.update(kind="boolean", fill=float(present.mean() >= 0.5))
            inputs.append(name)
        elif col.kind == "numeric":
            assert col.values is not None
            present = col.values[~miss] if miss.any() else col.values
            std = float(present.std(dtype=np.float64))
            f.update(
                kind="numeric",
                mean=float(present.mean(dtype=np.float64)),
                std=std if std > 0 and math.isfinite(std) else 1.0,
                fill=_median(present),
            )
            inputs.append(name)
        else:
            assert col.codes is not None
            counts = np.bincount(col.codes[~miss], minlength=len(col.levels))
            order = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], col.levels[i]))
            kept = order[: limits.max_category_levels]
            levels = [col.levels[i] for i in kept]
            other = len(order) > len(kept)
            f.update(
                kind="categorical",
                levels=levels,
                other=other,
                fill=levels[0],
                folded=len(order) - len(kept),
            )
            inputs.extend(f"{name}={lv}" for lv in levels)
            if other:
                inputs.append(f"{name}=(other)")
        if indicator:
            inputs.append(f"{name}=(missing)")
        features.append(f)
        if len(inputs) > limits.max_inputs:
            raise LimitExceededError(
                "max_dataset_features",
                len(inputs),
                f"the encoded table has more than {limits.max_inputs} inputs; the limit is "
                f"max_dataset_features={limits.max_inputs} (lower max_category_levels or list fewer features)",
            )
    if not features:
        raise ValidationError(
            "features", "no usable feature column is left (all empty or identifiers)"
        )
    spec: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "task": task,
        "targets": targets,
        "features": features,
        "inputs": inputs,
        "left_out": left_out,
        "missing": missing,
    }
    if task == "classification":
        assert tcol is not None
        spec["classes"] = classes
        spec["class_source"] = _class_source(tcol)
    return Preprocessor(spec)


# -- records at predict time -------------------------------------------------------------------


def table_from_predict_records(
    records: Sequence[Any], prep: Preprocessor, limits: TableLimits
) -> Table:
    """Only the model's features are read; other keys (the target, ids) are ignored."""
    if len(records) > limits.max_rows:
        raise LimitExceededError(
            "max_dataset_samples",
            len(records),
            f"{len(records)} records; the limit is max_dataset_samples={limits.max_rows}",
        )
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValidationError(
                f"records[{i}]", "each record must be an object of feature values"
            )
    cols = []
    for f in prep.features:
        name = f["name"]
        vals = [rec.get(name) for rec in records]
        col = column_from_values(name, vals, f"records[*].{name}")
        if f["kind"] == "numeric" and col.kind == "string":
            raise ValidationError(f"records[*].{name}", f"records: {name!r} must be a number")
        cols.append(col)
    return Table(cols, "records")


def table_from_feature_rows(rows: Sequence[Any], prep: Preprocessor, limits: TableLimits) -> Table:
    """Rows of feature values in the model's feature order."""
    names = [f["name"] for f in prep.features]
    records = []
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != len(names):
            raise ValidationError(
                f"inputs[{i}]",
                f"this model takes rows of {len(names)} feature values, in the order "
                f"{', '.join(names)}; or pass records by name",
            )
        records.append(dict(zip(names, row, strict=True)))
    return table_from_predict_records(records, prep, limits)


# -- results -----------------------------------------------------------------------------------


def class_scores(
    prep: Preprocessor, outputs: np.ndarray
) -> tuple[list[str], list[dict[str, float]]]:
    """The predicted class name and a score per class for each row (network outputs clipped to
    [0, 1]: a ranking, not calibrated probabilities)."""
    classes = prep.classes
    assert classes is not None
    out = np.clip(np.asarray(outputs, dtype=np.float64), 0.0, 1.0)
    scores = np.concatenate([1.0 - out, out], axis=1) if len(classes) == 2 else out
    idx = np.argmax(scores, axis=1)
    names = [classes[i] for i in idx]
    per = [{c: round(float(s), 6) for c, s in zip(classes, row, strict=True)} for row in scores]
    return names, per


def classification_metrics(
    classes: list[str], true: np.ndarray, pred: np.ndarray
) -> dict[str, Any]:
    k = len(classes)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (true, pred), 1)
    total = int(cm.sum())
    per_class = {}
    for i, c in enumerate(classes):
        tp = int(cm[i, i])
        predicted, actual = int(cm[:, i].sum()), int(cm[i, :].sum())
        per_class[c] = {
            "precision": tp / predicted if predicted else None,
            "recall": tp / actual if actual else None,
            "support": actual,
        }
    return {
        "accuracy": float(np.trace(cm) / total) if total else None,
        "per_class": per_class,
        "classes": classes,
        "confusion_matrix": {
            c: {d: int(cm[i, j]) for j, d in enumerate(classes)} for i, c in enumerate(classes)
        },
    }


def regression_metrics(targets: list[str], y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    err = pred - y
    per = {}
    for j, name in enumerate(targets):
        ss_tot = float(np.sum((y[:, j] - y[:, j].mean()) ** 2))
        ss_res = float(np.sum(err[:, j] ** 2))
        per[name] = {
            "rmse": float(np.sqrt(np.mean(err[:, j] ** 2))),
            "mae": float(np.mean(np.abs(err[:, j]))),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else None,
        }
    first = per[targets[0]]
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": first["r2"] if len(targets) == 1 else None,
        "per_target": per,
    }
