"""User files are read only inside allowed data roots, and no error text carries their content.

Unit tests of the one check (``swarm_core._paths.resolve_data_path``) and of the engine calls
that read files (train, evaluate, orchestrate children, retry) with fixed roots, configured
roots and lazy providers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from swarm_core import EngineConfig, NotFoundError, TaskStatus, ValidationError
from swarm_core._engine import Engine
from swarm_core._paths import PathNotAllowedError, require_file, resolve_data_path, root_path

pytestmark = pytest.mark.anyio

XOR_TEXT = "4 2 1\n0 0\n0\n0 1\n1\n1 0\n1\n1 1\n0\n"
SECRET = "API_KEY=sk-live-9f8e7d6c5b4a"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """root/ with xor.data, a subdir and a link out; outside/ with a secret and xor copy."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "xor.data").write_text(XOR_TEXT)
    (root / "sub").mkdir()
    (outside / "secret.data").write_text(f"{SECRET}\n")
    (outside / "xor.data").write_text(XOR_TEXT)
    (root / "escape.data").symlink_to(outside / "secret.data")
    (root / "escape_dir").symlink_to(outside)
    return {"root": root, "outside": outside}


def refusal(spec: object, roots: list[Any]) -> str:
    with pytest.raises(PathNotAllowedError) as info:
        resolve_data_path(spec, roots)  # type: ignore[arg-type]
    assert info.value.field == "data"
    return str(info.value)


def test_inside_a_root_resolves_and_relative_paths_anchor_at_the_first_root(tree) -> None:
    root = tree["root"]
    assert resolve_data_path(str(root / "xor.data"), [root]) == (root / "xor.data").resolve()
    assert resolve_data_path("xor.data", [root, tree["outside"]]) == root / "xor.data"
    assert resolve_data_path("sub/../xor.data", [root]) == root / "xor.data"
    # a root can be one file; file:// URIs work for roots and paths
    assert resolve_data_path(str(root / "xor.data"), [str(root / "xor.data")])
    assert resolve_data_path((root / "xor.data").as_uri(), [root.as_uri()]) == root / "xor.data"


def test_refusal_is_the_same_for_existing_missing_directories_and_escapes(tree) -> None:
    root, outside = tree["root"], tree["outside"]
    cases = [
        str(outside / "secret.data"),  # exists
        str(outside / "missing.data"),  # does not
        str(outside),  # a directory
        "/etc/passwd",
        "../outside/secret.data",  # relative escape
        str(root / ".." / "outside" / "secret.data"),
        str(root / "escape.data"),  # symlink inside -> file outside
        str(root / "escape_dir" / "secret.data"),  # symlinked dir inside -> outside
        str(root) + "-sibling/x.data",  # a prefix of the root is not the root
        "bad\x00name.data",
        "https://example.com/x.data",
    ]
    texts = {refusal(c, [root]).replace(repr(c), "<path>") for c in cases}
    assert len(texts) == 1, texts
    text = texts.pop()
    assert "--data-root" in text and "RUV_SWARM_DATA_ROOTS" in text and "client root" in text
    assert SECRET not in text


def test_no_roots_refuses_every_path_and_odd_roots_are_ignored(tree) -> None:
    root = tree["root"]
    a = refusal(str(root / "xor.data"), [])
    b = refusal(str(root / "xor.data"), ["https://example.com/", "file://otherhost/x", "  "])
    assert a == b
    assert root_path("https://example.com/") is None
    assert root_path("file://localhost" + str(root)) == root


def test_tilde_expands_before_the_check(tree, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tree["root"]))
    assert resolve_data_path("~/xor.data", ["~"]) == tree["root"] / "xor.data"
    refusal("~/../outside/secret.data", ["~"])


def test_missing_file_inside_a_root_says_not_found_after_the_check(tree) -> None:
    root = tree["root"]
    real = resolve_data_path(str(root / "nope.data"), [root])
    with pytest.raises(NotFoundError, match="not found"):
        require_file(real, "nope.data")
    with pytest.raises(ValidationError, match="not a regular file"):
        require_file(resolve_data_path(str(root / "sub"), [root]), "sub")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo")
        with pytest.raises(ValidationError, match="not a regular file"):
            require_file(resolve_data_path("fifo", [root]), "fifo")


# -- through the engine --------------------------------------------------------------------------


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    async with Engine.open(EngineConfig(db=":memory:", cpu_workers=2)) as eng:
        yield eng


async def test_train_reads_inside_call_roots_and_refuses_outside(engine: Engine, tree) -> None:
    swarm = await engine.create_swarm()
    ok = await engine.train(
        swarm.id, data=str(tree["root"] / "xor.data"), epochs=2, data_roots=[str(tree["root"])]
    )
    assert ok.status is TaskStatus.COMPLETED, ok.error
    errors = []
    before = len(await engine.list_tasks())
    for path in (tree["outside"] / "xor.data", tree["outside"] / "nope.data"):
        # refused at submission: no task is created for a file it could not read
        with pytest.raises(PathNotAllowedError) as info:
            await engine.train(swarm.id, data=str(path), epochs=2, data_roots=[tree["root"]])
        errors.append(str(info.value).replace(str(path), "<path>"))
    assert errors[0] == errors[1] and "allowed data root" in errors[0]
    with pytest.raises(PathNotAllowedError):
        await engine.train(swarm.id, data=str(tree["root"] / "xor.data"), epochs=2)
    with pytest.raises(NotFoundError):
        await engine.train(
            swarm.id, data=str(tree["root"] / "nope.data"), epochs=2, data_roots=[tree["root"]]
        )
    assert len(await engine.list_tasks()) == before


async def test_configured_roots_and_data_dir_need_no_provider(tree) -> None:
    calls: list[int] = []

    async def provider() -> list[str]:
        calls.append(1)
        return []

    for cfg in ({"data_roots": [str(tree["root"])]}, {"data_dir": str(tree["root"])}):
        async with Engine.open(EngineConfig(db=":memory:", cpu_workers=1, **cfg)) as eng:
            swarm = await eng.create_swarm()
            ok = await eng.train(swarm.id, data="xor.data", epochs=2, data_roots=provider)
            assert ok.status is TaskStatus.COMPLETED, ok.error
            with pytest.raises(PathNotAllowedError):
                await eng.train(
                    swarm.id, data=str(tree["outside"] / "xor.data"), epochs=2, data_roots=provider
                )
    # asked only for the two paths outside the configured roots
    assert len(calls) == 2


async def test_provider_is_asked_only_for_paths_and_extends_the_roots(
    engine: Engine, tree
) -> None:
    calls: list[int] = []

    async def provider() -> list[str]:
        calls.append(1)
        return [tree["outside"].as_uri()]

    swarm = await engine.create_swarm()
    inline = {"inputs": [[0, 0], [1, 1]], "outputs": [[0], [1]]}
    assert (await engine.train(swarm.id, data=inline, epochs=2, data_roots=provider)).result
    assert calls == []
    done = await engine.train(
        swarm.id, data=str(tree["outside"] / "xor.data"), epochs=2, data_roots=provider
    )
    assert done.status is TaskStatus.COMPLETED, done.error
    assert calls == [1, 1]  # at submission and when the worker opened it (the edge caches)
    model_id = (done.result or {})["model_id"]
    metrics = await engine.evaluate(
        model_id, str(tree["outside"] / "xor.data"), data_roots=provider
    )
    assert "mse" in metrics

    async def failing() -> list[str]:
        raise RuntimeError("client went away")

    with pytest.raises(PathNotAllowedError):
        await engine.train(
            swarm.id, data=str(tree["outside"] / "xor.data"), epochs=2, data_roots=failing
        )
    with pytest.raises(PathNotAllowedError):
        await engine.evaluate(model_id, str(tree["outside"] / "xor.data"))


async def test_orchestrated_children_and_retries_check_the_roots(engine: Engine, tree) -> None:
    swarm = await engine.create_swarm()
    for _ in range(2):
        await engine.spawn_agent(swarm.id, "neural-processor")
    task = {"kind": "train", "data": str(tree["root"] / "xor.data"), "epochs": 2, "layers": [2]}
    ok = await engine.orchestrate(swarm.id, task, strategy="parallel", data_roots=[tree["root"]])
    assert ok.status is TaskStatus.COMPLETED, ok.error
    bad = await engine.orchestrate(swarm.id, task, strategy="parallel")
    assert bad.status is TaskStatus.FAILED and "allowed data root" in (bad.error or "")
    # a retry gets the retrying caller's roots, not the first run's
    await engine.retry_task(bad.id, data_roots=[str(tree["root"])])
    again = await engine.wait_task(bad.id, timeout=60)
    assert again.status is TaskStatus.COMPLETED, again.error


SHAPES = [
    f"{SECRET}\n",
    f"{SECRET} two\n",
    f"{SECRET} two three\n",
    f"{SECRET} 2 3 4\n",
    f"1 2 1\n{SECRET}\n0\n",
    f"1 2 1\n0 {SECRET}\n0\n",
    f"1 2 1\n0 0\n{SECRET}\n",
    f"2 {SECRET} 1\n",
    f"1 2 1\n0 0\n0\n{SECRET}\n",
    f"{SECRET * 2000}\n",
    "1 1 1\n" + "0 " * 10 + SECRET + "\n",
]


@pytest.mark.parametrize("content", [*SHAPES, "binary"])
async def test_no_error_text_contains_file_content(engine: Engine, tree, content: str) -> None:
    path = tree["root"] / "bad.data"
    if content == "binary":
        path.write_bytes(b"\x00\xff\xfe" + SECRET.encode() + b"\x80\x81 3 4\n")
    else:
        path.write_text(content)
    swarm = await engine.create_swarm()
    marker = SECRET.split("=")[1]
    info = await engine.train(swarm.id, data=str(path), epochs=2, data_roots=[tree["root"]])
    assert info.status is TaskStatus.FAILED
    assert marker not in (info.error or "") and "API_KEY" not in (info.error or "")
    assert str(path) in (info.error or "") or "bad.data" in (info.error or "")
