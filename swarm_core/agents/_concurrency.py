"""Structured concurrency that reports the error that happened, not an ExceptionGroup around it.

anyio wraps failures inside a task group in an ExceptionGroup; a task's error message should name
the child that failed (e.g. "TaskFailedError: task-… failed: …"), so these helpers cancel the
siblings and re-raise the first failure as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import anyio

_T = TypeVar("_T")


async def gather(calls: Sequence[Callable[[], Awaitable[_T]]]) -> list[_T]:
    """Run the calls concurrently; results in call order. The first failure cancels the others
    and is raised unwrapped."""
    results: list[Any] = [None] * len(calls)
    failures: list[Exception] = []

    async def one(i: int, tg: anyio.abc.TaskGroup) -> None:
        try:
            results[i] = await calls[i]()
        except Exception as exc:
            if not failures:
                failures.append(exc)
            tg.cancel_scope.cancel()

    async with anyio.create_task_group() as tg:
        for i in range(len(calls)):
            tg.start_soon(one, i, tg)
    if failures:
        raise failures[0]
    return results


async def with_background(
    main: Callable[[], Awaitable[_T]], background: Callable[[], Coroutine[Any, Any, None]]
) -> _T:
    """Await `main()` while `background()` runs beside it; the background stops when main ends."""
    failures: list[Exception] = []
    result: list[_T] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(background)
        try:
            result.append(await main())
        except Exception as exc:
            failures.append(exc)
        finally:
            tg.cancel_scope.cancel()
    if failures:
        raise failures[0]
    return result[0]
