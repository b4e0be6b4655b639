"""Helpers shared by the tests that drive a real easytask server."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from easytask.v1.registry_pb2 import ListTaskServersRequest, Route
from easytask.v1.task_pb2 import AddTaskRequest, ListTaskLogsRequest, RunState, SchedMode, TaskLog
from easytask_client import Client

T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T], done: Callable[[T], bool]) -> T:
    """Polls until done holds; the deadline only bounds a hung test."""
    deadline = time.monotonic() + 15
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; last value {value!r}")
        time.sleep(0.025)


def route_of(client: Client, name: str) -> Route | None:
    for server in client.registry.list_task_servers(ListTaskServersRequest()).task_servers:
        if server.name == name and server.routes:
            return server.routes[0]
    return None


def add_one_shot(client: Client, name: str, biz_id: str = "", srv_name: str = "py-worker", callback_path: str | None = None) -> int:
    request = AddTaskRequest(
        name=name, srv_name=srv_name, callback_path=callback_path or f"/{name}", sched_mode=SchedMode.SCHED_MODE_AT,
        time_spec_at=int(time.time()), arg='{"n":1}', biz_id=biz_id,
    )
    return client.tasks.add_task(request).task_id


def last_run(client: Client, task_id: int, state: int) -> TaskLog:
    logs = wait_for(
        f"run of task {task_id} in {RunState.Name(state)}",
        lambda: client.tasks.list_task_logs(ListTaskLogsRequest(task_id=task_id)).task_logs,
        lambda runs: len(runs) > 0 and runs[0].state == state,
    )
    return logs[0]
