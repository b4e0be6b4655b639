"""The task-server helper mounted into one ASGI framework (FastAPI on uvicorn)
and one WSGI framework (Flask on Werkzeug), each on a real server the
scheduler calls: callbacks and heartbeats reach the helper, other requests
the app, and a run killed through the API cancels the handler."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from easytask.v1.callback_pb2 import TaskCallbackRequest
from easytask.v1.task_pb2 import KillRunRequest, RunState
from easytask_client import AsyncClient, AsyncTaskServer, Client, TaskContext, TaskResult, TaskServer
from fastapi import FastAPI
from flask import Flask
from support import add_one_shot, last_run, route_of, wait_for
from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class Killable:
    """A handler for /…/long that waits until cancelled, and answers the others."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.contexts: list[TaskContext] = []
        self.cancelled: list[str] = []

    def answer(self, task: TaskCallbackRequest, ctx: TaskContext) -> TaskResult:
        self.contexts.append(ctx)
        return {"is_success": True, "extra": f"{ctx.run_id} at {ctx.path}"}


@contextmanager
def uvicorn_serving(app: FastAPI, port: int) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for("uvicorn to start", lambda: server.started, bool)
        yield
    finally:
        server.should_exit = True
        thread.join()


def test_fastapi_on_uvicorn(start_easytask: Callable[..., str]) -> None:
    url = start_easytask()
    client = Client(url)
    killable = Killable()

    async def handle(task: TaskCallbackRequest, ctx: TaskContext) -> TaskResult:
        if task.task_name != "long":
            return killable.answer(task, ctx)
        killable.started.set()
        try:
            await asyncio.sleep(60)  # only bounds a hung test
        except asyncio.CancelledError:
            killable.cancelled.append(f"cancelled, ctx.cancelled {ctx.cancelled.is_set()}")
            raise
        return {"is_success": True}

    port = free_port()
    task_server = AsyncTaskServer(AsyncClient(url), "py-asgi", handle, port=port)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with task_server:
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    app.mount("/", task_server.asgi)
    with uvicorn_serving(app, port):
        route = wait_for("a heartbeat", lambda: route_of(client, "py-asgi"), lambda r: r is not None and r.HasField("last_heartbeat_at"))
        assert route is not None and route.failed_health_checks == 0
        assert get(f"http://127.0.0.1:{port}/hello") == (200, b'{"hello":"world"}')
        assert get(f"http://127.0.0.1:{port}/elsewhere")[0] == 405  # the helper answers every path
        task_id = add_one_shot(client, "sync", srv_name="py-asgi")
        assert last_run(client, task_id, RunState.RUN_STATE_SUCCEEDED).extra == f"{task_id}:1:1 at /sync"
        long_id = add_one_shot(client, "long", srv_name="py-asgi")
        assert killable.started.wait(15)
        client.tasks.kill_run(KillRunRequest(task_id=long_id, run_times=1))
        wait_for("the handler to be cancelled", lambda: list(killable.cancelled), lambda c: c == ["cancelled, ctx.cancelled True"])
        last_run(client, long_id, RunState.RUN_STATE_KILLED)
    assert route_of(client, "py-asgi") is None  # unregistered at shutdown


def test_flask_on_werkzeug(start_easytask: Callable[..., str]) -> None:
    client = Client(start_easytask())
    killable = Killable()

    def handle(task: TaskCallbackRequest, ctx: TaskContext) -> TaskResult:
        if task.task_name != "long":
            return killable.answer(task, ctx)
        killable.started.set()
        killable.cancelled.append(f"cancelled {ctx.cancelled.wait(60)}")  # the timeout only bounds a hung test
        return {"is_success": False}

    app = Flask(__name__)

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    port = free_port()
    task_server = TaskServer(client, "py-wsgi", handle, port=port)
    server = make_server("127.0.0.1", port, task_server.wsgi_middleware(app.wsgi_app, prefix="/easytask"), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        task_server.register()
        route = wait_for("a heartbeat", lambda: route_of(client, "py-wsgi"), lambda r: r is not None and r.HasField("last_heartbeat_at"))
        assert route is not None and route.failed_health_checks == 0
        assert get(f"http://127.0.0.1:{port}/hello") == (200, b'{"hello":"world"}\n')
        assert get(f"http://127.0.0.1:{port}/easytask/x")[0] == 404  # Flask's answer: only POSTs go to the helper
        request = urllib.request.Request(f"http://127.0.0.1:{port}/other", data=b"{}", method="POST")
        assert get_request_status(request) == 404  # Flask's: not under the prefix
        task_id = add_one_shot(client, "sync", srv_name="py-wsgi", callback_path="/easytask/sync")
        assert last_run(client, task_id, RunState.RUN_STATE_SUCCEEDED).extra == f"{task_id}:1:1 at /easytask/sync"
        long_id = add_one_shot(client, "long", srv_name="py-wsgi", callback_path="/easytask/long")
        assert killable.started.wait(15)
        client.tasks.kill_run(KillRunRequest(task_id=long_id, run_times=1))
        wait_for("the handler to see the cancellation", lambda: list(killable.cancelled), lambda c: c == ["cancelled True"])
        last_run(client, long_id, RunState.RUN_STATE_KILLED)
        task_server.unregister()
        assert route_of(client, "py-wsgi") is None
    finally:
        server.shutdown()
        thread.join()


def get_request_status(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code
