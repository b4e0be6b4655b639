"""The handler's context, results, errors and the asynchronous client, against
a real easytask server and over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from easytask.v1.callback_pb2 import TaskCallbackRequest
from easytask.v1.cluster_pb2 import GetClusterRequest
from easytask.v1.errors_pb2 import ErrorReason
from easytask.v1.task_pb2 import AddTaskRequest, KillRunRequest, RunState, SchedMode
from easytask_client import AsyncClient, Client, TaskContext, TaskResult, TaskServer, TaskServerError, error_detail
from support import add_one_shot, last_run, wait_for

TOKEN = "sdk-test-token-0123456789"
W3C = "4bf92f3577b34da6a3ce929d0e0e4736"


TRACE_CASES = [
    ("a valid traceparent wins", f"00-{W3C}-00f067aa0ba902b7-01", W3C),
    ("no traceparent", None, "legacy-trace-1"),
    ("upper case hex", f"00-{W3C.upper()}-00f067aa0ba902b7-01", "legacy-trace-1"),
    ("an all-zero trace id", f"00-{'0' * 32}-00f067aa0ba902b7-01", "legacy-trace-1"),
    ("an all-zero span id", f"00-{W3C}-{'0' * 16}-01", "legacy-trace-1"),
    ("version ff", f"ff-{W3C}-00f067aa0ba902b7-01", "legacy-trace-1"),
    ("version 00 with more fields", f"00-{W3C}-00f067aa0ba902b7-01-more", "legacy-trace-1"),
    ("a later version with more fields", f"01-{W3C}-00f067aa0ba902b7-01-more", W3C),
]


def test_trace_id_from_traceparent_else_the_easytask_header(start_easytask: Callable[..., str]) -> None:
    seen: list[TaskContext] = []

    def handle(task: TaskCallbackRequest, ctx: TaskContext) -> TaskResult:
        seen.append(ctx)
        return {"is_success": True}

    with TaskServer(Client(start_easytask()), "py-trace", handle, health_check=False) as server:
        for what, traceparent, trace_id in TRACE_CASES:
            headers = {"x-easy-task-trace-id": "legacy-trace-1", "x-easytask-run-id": "7:2:1", **({"traceparent": traceparent} if traceparent else {})}
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}/reports/daily?x=1", data=b'{"cmd":1,"task_id":"7","run_times":2}', headers=headers, method="POST"
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 200
            ctx = seen.pop()
            assert (ctx.path, ctx.run_id, ctx.trace_id) == ("/reports/daily", "7:2:1", trace_id), what


def test_a_killed_run_sets_cancelled_and_the_context_names_the_run(start_easytask: Callable[..., str]) -> None:
    client = Client(start_easytask())
    started: list[TaskContext] = []
    ran = threading.Event()
    outcome: list[bool] = []

    def handle(task: TaskCallbackRequest, ctx: TaskContext) -> TaskResult:
        started.append(ctx)
        ran.set()
        outcome.append(ctx.cancelled.wait(60))  # the timeout only bounds a hung test
        return {"is_success": not ctx.cancelled.is_set()}

    with TaskServer(client, "py-killed", handle):
        task_id = add_one_shot(client, "long", srv_name="py-killed")
        assert ran.wait(15)
        (ctx,) = started
        assert (ctx.run_id, ctx.path, ctx.cancelled.is_set()) == (f"{task_id}:1:1", "/long", False)
        assert ctx.trace_id != ""
        client.tasks.kill_run(KillRunRequest(task_id=task_id, run_times=1))
        wait_for("the handler to see the cancellation", lambda: list(outcome), lambda o: o == [True])
        last_run(client, task_id, RunState.RUN_STATE_KILLED)


def test_dict_results_are_answered_and_anything_else_is_logged(start_easytask: Callable[..., str], caplog: pytest.LogCaptureFixture) -> None:
    client = Client(start_easytask())
    results: dict[str, Any] = {
        "dict": {"is_success": True, "extra": "from a dict"},
        "none": None,
        "typo": {"is_sucess": True},
    }
    with TaskServer(client, "py-results", lambda task, ctx: results[task.task_name]):
        assert last_run(client, add_one_shot(client, "dict", srv_name="py-results"), RunState.RUN_STATE_SUCCEEDED).extra == "from a dict"
        with caplog.at_level(logging.ERROR, logger="easytask_client"):
            for name, reason in [
                ("none", "the handler returned NoneType, not a TaskCallbackResponse or a dict of its fields"),
                ("typo", 'the handler returned a dict that is not a TaskCallbackResponse: Message type "easytask.v1.TaskCallbackResponse" has no field named "is_sucess"'),
            ]:
                task_id = add_one_shot(client, name, srv_name="py-results")
                run = last_run(client, task_id, RunState.RUN_STATE_FAILED)
                assert (run.http_status, run.error, json.loads(run.response)["error"].startswith(reason)) == (500, "task server answered HTTP 500", True)
                logged = [r.getMessage() for r in caplog.records if r.name == "easytask_client"]
                assert any(m.startswith(f"task {task_id} run 1: {reason}") and m.endswith("answering HTTP 500, which fails the run") for m in logged), logged


def test_error_detail_reads_the_easytask_reason(start_easytask: Callable[..., str]) -> None:
    with Client(start_easytask()) as client, pytest.raises(ConnectError) as refused:
        client.tasks.add_task(AddTaskRequest(name="x", srv_name="nobody", sched_mode=SchedMode.SCHED_MODE_INTERVAL, time_interval_sec=10))
    detail = error_detail(refused.value)
    assert detail is not None
    assert (detail.reason, detail.field) == (ErrorReason.ERROR_REASON_TASK_SERVER_NOT_FOUND, "srv_name")
    assert error_detail(ConnectError(Code.UNAVAILABLE, "no details")) is None


def test_start_says_what_failed(start_easytask: Callable[..., str]) -> None:
    url = start_easytask(EASYTASK_AUTH__TOKENS=TOKEN)
    refused = TaskServer(Client(url, token="wrong-token-0123456789"), "py-refused", lambda task, ctx: {})
    with pytest.raises(TaskServerError, match=r"^easytask: registering task server py-refused: ") as err:
        refused.start()
    assert isinstance(err.value.__cause__, ConnectError) and err.value.__cause__.code == Code.UNAUTHENTICATED
    refused.stop()  # nothing is left running

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        clash = TaskServer(Client(url, token=TOKEN), "py-busy", lambda task, ctx: {}, port=port)
        with pytest.raises(TaskServerError, match=rf"^easytask: listening for task server py-busy on 127.0.0.1:{port}: \[Errno 98\] Address already in use$"):
            clash.start()


def test_async_client_has_the_same_options(start_easytask: Callable[..., str]) -> None:
    url = start_easytask(EASYTASK_AUTH__TOKENS=TOKEN)
    seen: list[str | None] = []

    class Observe:
        async def intercept_unary(self, call_next: Callable[..., Any], request: Any, ctx: Any, /) -> Any:
            seen.append(ctx.request_headers.get("authorization"))
            return await call_next(request, ctx)

    async def calls() -> None:
        async with AsyncClient(url, token=TOKEN, interceptors=[Observe()], timeout_ms=5000) as client:
            cluster = await client.cluster.get_cluster(GetClusterRequest())
            assert cluster.is_leader
            with pytest.raises(ConnectError) as refused:
                await client.tasks.add_task(AddTaskRequest(name="x", srv_name="nobody", sched_mode=SchedMode.SCHED_MODE_INTERVAL, time_interval_sec=10))
            detail = error_detail(refused.value)
            assert detail is not None and detail.reason == ErrorReason.ERROR_REASON_TASK_SERVER_NOT_FOUND
        async with AsyncClient(url) as stranger:
            with pytest.raises(ConnectError) as unauthenticated:
                await stranger.cluster.get_cluster(GetClusterRequest())
            assert unauthenticated.value.code == Code.UNAUTHENTICATED

    asyncio.run(calls())
    assert seen == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]
    with pytest.raises(ValueError, match="must be http:// or https://"):
        AsyncClient("127.0.0.1:8801")
