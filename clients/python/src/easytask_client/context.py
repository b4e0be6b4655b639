"""What a handler knows about the callback it runs for, beside the task."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# version-traceid-parentid-flags; versions after 00 may append fields.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?")


@dataclass(frozen=True)
class TaskContext:
    """The second argument of a handler.

    ``cancelled`` is set when the scheduler cuts the call: the callback timed
    out, the run was killed (KillRun), its task stopped. An ``async`` handler
    of ``AsyncTaskServer`` is cancelled too (``asyncio.CancelledError`` at
    its next ``await``).
    """

    #: The request's path: the task's callback_path.
    path: str
    #: ``<task_id>:<run_times>:<attempt>`` (the x-easytask-run-id header): the
    #: same when a run's callback is sent again, so a task server can tell a
    #: retry it already ran. Empty when the scheduler sent none.
    run_id: str = ""
    #: The run's trace id, as on the scheduler's log lines about it: from a
    #: valid W3C traceparent header, else x-easy-task-trace-id.
    trace_id: str = ""
    cancelled: threading.Event = field(default_factory=threading.Event)


def _header(headers: Iterable[tuple[str, Any]], name: str) -> str:
    return next((str(value) for key, value in headers if key.lower() == name), "")


def trace_id_of(headers: Iterable[tuple[str, Any]]) -> str:
    headers = list(headers)
    m = _TRACEPARENT.fullmatch(_header(headers, "traceparent"))
    if m:
        version, trace_id, span_id, more = m.groups()
        if version != "ff" and not (version == "00" and more) and trace_id.strip("0") and span_id.strip("0"):
            return trace_id
    return _header(headers, "x-easy-task-trace-id")


def context_of(path: str, headers: Iterable[tuple[str, Any]], cancelled: threading.Event | None = None) -> TaskContext:
    headers = list(headers)
    return TaskContext(
        path=path,
        run_id=_header(headers, "x-easytask-run-id"),
        trace_id=trace_id_of(headers),
        cancelled=cancelled or threading.Event(),
    )
