"""Files and values the commands read: each size checked before the file is read, and every
error one line naming the file or option (never the file's content)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruv_swarm_mcp._terminal._run import USAGE, CliError

# knowledge-base files: plain text and markdown
DOCUMENT_SUFFIXES = (".txt", ".md", ".markdown", ".rst", ".text")
# a workflow is a small spec; a task file is bounded by the engine's payload limit anyway
MAX_WORKFLOW_BYTES = 1024 * 1024

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {None: 1.0, "s": 1.0, "ms": 0.001, "m": 60.0, "h": 3600.0}


def parse_duration(option: str, text: str, *, low: float = 0.0, high: float = 86_400.0) -> float:
    """'60s', '2m', '500ms', '1.5h' or a bare number of seconds."""
    m = _DURATION.match(text)
    if m is None:
        raise CliError(
            f"{option}: expected a duration such as 60s, 2m or 500ms, got {text!r}", USAGE
        )
    seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if not low < seconds <= high:
        raise CliError(f"{option}: must be more than {low:g} s and at most {high:g} s", USAGE)
    return seconds


def parse_int_list(option: str, text: str, *, low: int = 1, high: int = 100_000) -> list[int]:
    """'32,16' -> [32, 16]."""
    try:
        values = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise CliError(
            f"{option}: expected integers separated by commas, got {text!r}", USAGE
        ) from None
    if not values or any(not low <= v <= high for v in values):
        raise CliError(f"{option}: each value must be in {low}..{high}, got {text!r}", USAGE)
    return values


def parse_csv_list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def _read_bounded(path: Path, limit: int, option: str, limit_option: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise CliError(
                f"{option}: {path} is {size:,} bytes; the limit is {limit:,} ({limit_option})"
            )
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise CliError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:  # it grew while we read it
        raise CliError(f"{option}: {path} is over the limit of {limit:,} bytes ({limit_option})")
    return data


def _decode(data: bytes, path: Path, option: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliError(f"{option}: {path} is not UTF-8 text (byte {exc.start})") from None


def read_json_file(path: Path, option: str, limit: int, limit_option: str) -> Any:
    text = _decode(_read_bounded(path, limit, option, limit_option), path, option)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{option}: {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None


def read_task(text: str, limit: int) -> tuple[dict[str, Any] | str, Path | None]:
    """--task: plain text, inline JSON (starting with '{'), or @FILE holding JSON."""
    if text.startswith("@"):
        path = Path(text[1:]).expanduser()
        task = read_json_file(path, "--task", limit, "the engine's max_payload_bytes")
        if not isinstance(task, dict | str):
            raise CliError(f"--task: {path} must hold a JSON object or string", USAGE)
        return task, path
    if text.lstrip().startswith("{"):
        try:
            task = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"--task: not valid JSON (column {exc.colno}: {exc.msg})", USAGE
            ) from None
        if not isinstance(task, dict):
            raise CliError("--task: inline JSON must be an object", USAGE)
        return task, None
    if not text.strip():
        raise CliError("--task: the task text is empty", USAGE)
    return text, None


def read_workflow(path: Path) -> dict[str, Any]:
    """A workflow spec from YAML or JSON (see swarm_core's workflow format: steps, inputs,
    outputs). Its structure is checked here; the engine checks references when it runs it."""
    raw = _decode(
        _read_bounded(path, MAX_WORKFLOW_BYTES, "--workflow", "1 MiB"), path, "--workflow"
    )
    if path.suffix.lower() == ".json":
        try:
            spec = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CliError(
                f"--workflow: {path} is not valid JSON (line {exc.lineno}: {exc.msg})"
            ) from None
    else:
        import yaml

        try:
            spec = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise CliError(f"--workflow: {path} is not valid YAML{where}") from None
    if isinstance(spec, dict) and isinstance(spec.get("workflow"), dict):
        spec = spec["workflow"]
    if not isinstance(spec, dict):
        raise CliError(f"--workflow: {path} must hold a mapping with a 'steps' list")
    steps = spec.get("steps")
    if not isinstance(steps, list) or not steps:
        raise CliError(f"--workflow: {path} needs a non-empty 'steps' list")
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("name"), str):
            raise CliError(f"--workflow: {path}: steps[{i}] needs a 'name'")
        if not isinstance(step.get("uses"), str):
            raise CliError(f"--workflow: {path}: step {step['name']!r} needs 'uses'")
    try:  # the stored value must be JSON (YAML dates and the like are not)
        json.dumps(spec, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CliError(f"--workflow: {path} holds a value JSON cannot carry: {exc}") from None
    return spec


@dataclass(frozen=True)
class Document:
    title: str
    text: str
    path: str
    size: int


def read_knowledge_base(root: Path, max_documents: int, max_bytes: int) -> list[Document]:
    """Every text/markdown file of `root` (a file or a folder, walked recursively in name
    order), each within the engine's document size limit; all read before anything is
    stored so a bad file stops the command before it changes the swarm."""
    if root.is_file():
        files = [root]
        base = root.parent
    elif root.is_dir():
        base = root
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.lower().endswith(DOCUMENT_SUFFIXES) and not name.startswith("."):
                    files.append(Path(dirpath) / name)
                    if len(files) > max_documents:
                        raise CliError(
                            f"--knowledge-base: {root} has more than {max_documents} documents "
                            "(--max-documents)"
                        )
        if not files:
            raise CliError(
                f"--knowledge-base: {root} has no text or markdown files "
                f"({', '.join(DOCUMENT_SUFFIXES)})"
            )
    else:
        raise CliError(f"--knowledge-base: {root} does not exist")
    docs = []
    for path in files:
        data = _read_bounded(path, max_bytes, "--knowledge-base", "the engine's max_document_bytes")
        text = _decode(data, path, "--knowledge-base")
        rel = str(path.relative_to(base)) if path != root else path.name
        docs.append(Document(title=rel[:200], text=text, path=str(path.resolve()), size=len(data)))
    return docs


def _cell(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text if text != "" else None


def read_predict_data(text: str, limit: int, table_model: bool) -> dict[str, Any]:
    """predict DATA as the engine's arguments: {"inputs": rows} or {"records": [...]}.

    DATA: inline JSON (a row, rows or records), a .json / .jsonl file, a CSV / TSV file (with a
    header: records for a table model, else numeric rows), or a FANN .data / .train file."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(f"DATA: not valid JSON (column {exc.colno}: {exc.msg})", USAGE) from None
        return _json_rows(value, "DATA")
    path = Path(text).expanduser()
    if not path.is_file():
        raise CliError(f"DATA: {path} is not a file (nor inline JSON)")
    suffix = path.suffix.lower()
    raw = _decode(_read_bounded(path, limit, "DATA", "--max-bytes"), path, "DATA")
    if suffix == ".json":
        try:
            return _json_rows(json.loads(raw), str(path))
        except json.JSONDecodeError as exc:
            raise CliError(
                f"DATA: {path} is not valid JSON (line {exc.lineno}: {exc.msg})"
            ) from None
    if suffix in (".jsonl", ".ndjson"):
        records = []
        for n, line in enumerate(raw.splitlines(), 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    raise CliError(f"DATA: {path} line {n} is not valid JSON") from None
        return _json_rows(records, str(path))
    if suffix in (".data", ".train", ".test"):
        return {"inputs": _fann_inputs(raw, path)}
    dialect = "excel-tab" if suffix == ".tsv" else "excel"
    rows = [r for r in csv.reader(io.StringIO(raw), dialect) if r]
    if not rows:
        raise CliError(f"DATA: {path} has no rows")
    header = rows[0]
    has_header = any(isinstance(_cell(c), str) for c in header)
    body = rows[1:] if has_header else rows
    if table_model:
        if not has_header:
            raise CliError(f"DATA: {path} needs a header row naming the model's columns")
        return {"records": [dict(zip(header, map(_cell, r), strict=False)) for r in body]}
    try:
        return {"inputs": [[float(c) for c in r] for r in body]}
    except ValueError:
        raise CliError(f"DATA: {path} has a non-numeric cell; this model takes numbers") from None


def _json_rows(value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, dict) and ("inputs" in value or "records" in value):
        key = "inputs" if "inputs" in value else "records"
        return {key: value[key]}
    if isinstance(value, dict):
        return {"records": [value]}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return {"records": value}
    if isinstance(value, list) and value:
        return {"inputs": value}
    raise CliError(f"DATA: {where} must hold a row, a list of rows or records")


def _fann_inputs(raw: str, path: Path) -> list[list[float]]:
    lines = [ln.split() for ln in raw.splitlines() if ln.strip()]
    try:
        n, n_in, _n_out = (int(v) for v in lines[0])
        inputs = [[float(v) for v in lines[1 + 2 * i]] for i in range(n)]
    except (ValueError, IndexError):
        raise CliError(
            f"DATA: {path} is not a FANN data file (header: samples inputs outputs)"
        ) from None
    if any(len(r) != n_in for r in inputs):
        raise CliError(f"DATA: {path}: every input line must have {n_in} numbers")
    return inputs
