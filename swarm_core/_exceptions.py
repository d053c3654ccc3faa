"""Errors raised by swarm_core. Every message names the offending id, field, limit or states.

Hierarchy::

    SwarmError                       base of everything the engine raises on purpose
    ├── NotFoundError                unknown id (`.kind`, `.id`); also a KeyError
    ├── AlreadyExistsError           an id that must be new is taken (import of an existing swarm)
    ├── ValidationError              bad argument (`.field`); also a ValueError
    ├── LimitExceededError           a configured limit would be exceeded (`.limit`, `.value`)
    │   └── QueueFullError           the bounded task queue is full (backpressure; retry later)
    ├── InvalidStateError            illegal state transition (`.current`, `.requested`)
    ├── TaskCancelledError           raised inside work when its task was cancelled
    ├── TaskTimeoutError             a task ran past its timeout (also a TimeoutError)
    ├── TaskFailedError              a dispatched child task failed (`.task_id`, `.error`)
    ├── UnsupportedError             a feature not available with this setup (names what and why)
    ├── EngineClosedError            the engine is not started or already closed
    └── StoreError                   the database rejected or lost a write
"""

from __future__ import annotations


class SwarmError(Exception):
    """Base class of every error swarm_core raises on purpose."""


class NotFoundError(SwarmError, KeyError):
    def __init__(self, kind: str, id: object, message: str | None = None) -> None:
        self.kind = kind
        self.id = id
        super().__init__(message or f"unknown {kind} id {id!r}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class AlreadyExistsError(SwarmError):
    def __init__(self, kind: str, id: object) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"{kind} {id!r} already exists")


class ValidationError(SwarmError, ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class LimitExceededError(SwarmError):
    def __init__(self, limit: str, value: object, message: str) -> None:
        self.limit = limit
        self.value = value
        super().__init__(message)


class QueueFullError(LimitExceededError):
    pass


class InvalidStateError(SwarmError):
    def __init__(self, subject: str, current: object, requested: object, why: str = "") -> None:
        self.subject = subject
        self.current = current
        self.requested = requested
        tail = f": {why}" if why else ""
        super().__init__(f"{subject}: cannot go from {current!s} to {requested!s}{tail}")


class TaskCancelledError(SwarmError):
    pass


class TaskTimeoutError(SwarmError, TimeoutError):
    pass


class TaskFailedError(SwarmError):
    def __init__(self, task_id: str, error: str | None) -> None:
        self.task_id = task_id
        self.error = error
        super().__init__(f"task {task_id} failed: {error}")


class UnsupportedError(SwarmError):
    pass


class EngineClosedError(SwarmError):
    pass


class StoreError(SwarmError):
    pass
