from __future__ import annotations

import json
import queue
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from easytask.v1.callback_pb2 import TaskCallbackRequest, TaskCallbackResponse
from easytask.v1.cluster_pb2 import GetClusterRequest
from easytask.v1.task_pb2 import AddTaskRequest, RunState, SchedMode
from easytask_client import Client, TaskContext, TaskServer
from support import add_one_shot, last_run, route_of, wait_for

TOKEN = "sdk-test-token-0123456789"

@pytest.mark.parametrize("numbering", ["documented", "easytask-go"])
def test_task_server(start_easytask: Callable[..., str], numbering: str) -> None:
    # The server requires the token, so every call the helper makes proves it is sent.
    client = Client(start_easytask(EASYTASK_CALLBACK_CMD_NUMBERING=numbering, EASYTASK_AUTH__TOKENS=TOKEN), token=TOKEN)
    async_tasks: queue.Queue[TaskCallbackRequest] = queue.Queue()

    def handle(task: TaskCallbackRequest, ctx: TaskContext) -> TaskCallbackResponse:
        if task.task_name == "async":
            async_tasks.put(task)
            return TaskCallbackResponse(is_run_in_async=True)
        if task.task_name == "failing":
            raise RuntimeError("cannot run failing")
        return TaskCallbackResponse(is_success=True, extra=f"ran {task.task_name} #{task.run_times} with {task.arg} for {task.biz_id}")

    server = TaskServer(client, "py-worker", handle)
    server.start()
    try:
        # A route that fails heartbeats counts up failed_health_checks and is
        # evicted; one that answers them has last_heartbeat_at set.
        route = wait_for("a heartbeat", lambda: route_of(client, "py-worker"), lambda r: r is not None and r.HasField("last_heartbeat_at"))
        assert route is not None
        assert (route.port, route.is_enable_health_check, route.failed_health_checks) == (server.port, True, 0)

        run = last_run(client, add_one_shot(client, "sync", "b1"), RunState.RUN_STATE_SUCCEEDED)
        assert (run.is_success, run.extra) == (True, 'ran sync #1 with {"n":1} for b1')

        run = last_run(client, add_one_shot(client, "failing"), RunState.RUN_STATE_FAILED)
        assert run.extra == "cannot run failing"

        async_id = add_one_shot(client, "async")
        last_run(client, async_id, RunState.RUN_STATE_ASYNC_WAITING)
        task = async_tasks.get_nowait()
        assert (task.task_id, task.run_times) == (async_id, 1)
        server.confirm(task, True, "confirmed later")
        run = last_run(client, async_id, RunState.RUN_STATE_SUCCEEDED)
        assert run.extra == "confirmed later"
        assert run.HasField("confirmed_at")

        with pytest.raises(urllib.error.HTTPError) as get:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/")
        assert get.value.code == 405
    finally:
        server.stop()
    assert route_of(client, "py-worker") is None


def test_client_sends_the_token_and_raises_connect_errors(start_easytask: Callable[..., str]) -> None:
    seen: list[str | None] = []

    class Observe:
        def intercept_unary_sync(self, call_next: Callable[..., Any], request: Any, ctx: Any, /) -> Any:
            seen.append(ctx.request_headers.get("authorization"))
            return call_next(request, ctx)

    url = start_easytask(EASYTASK_AUTH__TOKENS=TOKEN)
    with Client(url, token=TOKEN, interceptors=[Observe()]) as client:
        with pytest.raises(ConnectError) as refused:
            client.tasks.add_task(AddTaskRequest(name="x", srv_name="nobody", sched_mode=SchedMode.SCHED_MODE_INTERVAL, time_interval_sec=10))
        cluster = client.cluster.get_cluster(GetClusterRequest())
    assert refused.value.code == Code.NOT_FOUND
    assert "task server nobody not found" in str(refused.value)
    assert seen == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]
    for token in [None, "wrong-token-0123456789"]:
        with Client(url, token=token) as stranger, pytest.raises(ConnectError) as unauthenticated:
            stranger.cluster.get_cluster(GetClusterRequest())
        assert unauthenticated.value.code == Code.UNAUTHENTICATED
    assert cluster.is_leader and cluster.leader_id == cluster.node_id != ""


def test_bad_settings_are_refused_with_a_clear_message() -> None:
    for url in ["127.0.0.1:8801", "ftp://127.0.0.1", "http://"]:
        with pytest.raises(ValueError, match="must be http:// or https://"):
            Client(url)
    client = Client("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="needs a name"):
        TaskServer(client, "", lambda task, ctx: TaskCallbackResponse())
    with pytest.raises(ValueError, match="set advertise_host"):
        TaskServer(client, "x", lambda task, ctx: TaskCallbackResponse(), host="0.0.0.0")


def test_protocol_edge_cases() -> None:
    server = TaskServer(Client("http://127.0.0.1:1"), "x", lambda task, ctx: None)  # type: ignore[arg-type, return-value]
    cases = [
        (b'{"cmd":0}', 200, {"pong": True}),
        (b'{"cmd":1}', 200, {"pong": True}),
        (b"not json", 400, {"error": "body is not a JSON object"}),
        (b"[1]", 400, {"error": "body is not a JSON object"}),
    ]
    for body, status, answer in cases:
        assert server.answer(body) == (status, json.dumps(answer).encode()), body
    status, answer = server.answer(b'{"task_id":"seven"}')
    assert status == 400 and b"body is not a task callback" in answer
    status, answer = server.answer(b'{"cmd":0,"task_id":"7","run_times":2,"future_field":1}')
    assert (status, json.loads(answer)) == (500, {"error": "the handler returned NoneType, not a TaskCallbackResponse or a dict of its fields"})
