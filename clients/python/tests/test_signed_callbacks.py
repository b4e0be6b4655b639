from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from easytask.v1.callback_pb2 import TaskCallbackRequest, TaskCallbackResponse
from easytask.v1.registry_pb2 import AddTaskServerRequest, ListTaskServersRequest
from easytask.v1.task_pb2 import RunState
from easytask_client import Client, SignatureError, TaskContext, TaskServer, verify_signature
from support import add_one_shot, last_run, route_of, wait_for

SECRET = "py-task-server-secret-0001"
OTHER = "some-other-secret-00000001"
FORGED_BODY = b'{"cmd":1,"task_id":"424242","task_name":"forged","arg":"","run_times":1,"biz_id":""}'


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed(secret: str, timestamp: int, body: bytes = FORGED_BODY) -> dict[str, str]:
    return {"x-easytask-timestamp": str(timestamp), "x-easytask-signature": sign(secret, timestamp, body)}


class Signed:
    """A task server with a secret on a running easytask, and what its handler ran."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.ran: list[TaskCallbackRequest] = []
        self._lock = threading.Lock()
        self.server = TaskServer(client, "py-signed", self._handle, secret=SECRET)

    def _handle(self, task: TaskCallbackRequest, ctx: TaskContext) -> TaskCallbackResponse:
        with self._lock:
            self.ran.append(task)
        return TaskCallbackResponse(is_success=True, extra=f"ran {task.task_name}")

    def ran_for(self, match: Callable[[TaskCallbackRequest], bool]) -> int:
        with self._lock:
            return sum(1 for task in self.ran if match(task))


@pytest.fixture
def signed_server(start_easytask: Callable[..., str]) -> Iterator[Signed]:
    s = Signed(Client(start_easytask()))
    with s.server:
        yield s


def test_registers_its_secret_and_accepts_signed_heartbeats_and_callbacks(signed_server: Signed) -> None:
    client = signed_server.client
    listed = [s for s in client.registry.list_task_servers(ListTaskServersRequest()).task_servers if s.name == "py-signed"]
    assert [s.signed for s in listed] == [True]
    route = wait_for("a heartbeat", lambda: route_of(client, "py-signed"), lambda r: r is not None and r.HasField("last_heartbeat_at"))
    assert route is not None and route.failed_health_checks == 0
    task_id = add_one_shot(client, "signed", srv_name="py-signed")
    assert last_run(client, task_id, RunState.RUN_STATE_SUCCEEDED).extra == "ran signed"
    assert signed_server.ran_for(lambda t: t.task_id == task_id) == 1


def test_forged_wrongly_signed_stale_and_unsigned_requests_get_401(signed_server: Signed) -> None:
    def post(headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{signed_server.server.port}/forged",
            data=FORGED_BODY,
            headers={"Content-Type": "application/json", **headers},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, ""
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())["error"]

    now = int(time.time())
    good = signed(SECRET, now)
    cases = [
        ("no headers", {}, "not signed: x-easytask-timestamp is missing"),
        ("no signature", {"x-easytask-timestamp": str(now)}, "not signed: x-easytask-signature is missing"),
        ("a forged signature", {**good, "x-easytask-signature": "v1=" + "0" * 64}, "does not match"),
        ("a malformed signature", {**good, "x-easytask-signature": "sha256=abc"}, 'not "v1=" and 64 hex digits'),
        ("a malformed timestamp", {**good, "x-easytask-timestamp": "yesterday"}, "not unix seconds"),
        ("another secret", signed(OTHER, now), "does not match"),
        ("a stale timestamp", signed(SECRET, now - 3600), "more than the tolerance of 300 s"),
        ("a timestamp in the future", signed(SECRET, now + 3600), "more than the tolerance of 300 s"),
        ("a body altered after signing", {**good, "x-easytask-signature": sign(SECRET, now, FORGED_BODY.replace(b"forged", b"forgex"))}, "does not match"),
    ]
    for what, headers, reason in cases:
        status, error = post(headers)
        assert (status, reason in error) == (401, True), f"{what}: {status} {error!r}"
    forged: Callable[[TaskCallbackRequest], bool] = lambda t: t.task_name == "forged"  # noqa: E731
    assert signed_server.ran_for(forged) == 0
    # The same request, signed right, runs: the refusals were the signature's.
    assert post(signed(SECRET, int(time.time())))[0] == 200
    assert signed_server.ran_for(forged) == 1


@pytest.mark.parametrize(("secret", "reason"), [(OTHER, "does not match"), ("", "not signed")])
def test_scheduler_callbacks_with_another_secret_or_unsigned_get_401(signed_server: Signed, secret: str, reason: str) -> None:
    client = signed_server.client
    client.registry.add_task_server(
        AddTaskServerRequest(name="py-signed", schema="http", host="127.0.0.1", port=signed_server.server.port, secret=secret)
    )
    task_id = add_one_shot(client, f"secret-{len(secret)}", srv_name="py-signed")
    run = last_run(client, task_id, RunState.RUN_STATE_FAILED)
    assert run.http_status == 401 and reason in run.response, run
    assert signed_server.ran_for(lambda t: t.task_id == task_id) == 0


def test_verify_signature_on_its_own() -> None:
    # The vector of test/unit/signCallback.test.ts (from openssl): a non-ASCII
    # body checked as its UTF-8 bytes.
    vector = {
        "x-easytask-timestamp": "1700000000",
        "x-easytask-signature": "v1=c38d81efedf3dc62d620f156d1a1e268acf24d3ae83455385897016df3c22954",
    }
    vector_body = '{"cmd":1,"task_id":"7","task_name":"ünïcode ✓","arg":"","run_times":1,"biz_id":""}'.encode()
    verify_signature("test-secret-0123456789", vector, vector_body, now=1_700_000_000)
    body = b'{"cmd":0}'
    at = 1_700_000_000
    headers = {"X-Easytask-Timestamp": str(at), "X-Easytask-Signature": sign(SECRET, at, body)}
    verify_signature(SECRET, headers, body, now=at + 60)
    with pytest.raises(SignatureError, match="the timestamp is 60 s from now, more than the tolerance of 30 s"):
        verify_signature(SECRET, headers, body, tolerance_sec=30, now=at + 60)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(OTHER, headers, body, now=at)
    with pytest.raises(ValueError, match="secret is empty"):
        TaskServer(Client("http://127.0.0.1:1"), "x", lambda task, ctx: TaskCallbackResponse(), secret="")
    server = TaskServer(Client("http://127.0.0.1:1"), "x", lambda task, ctx: TaskCallbackResponse(), secret=SECRET)
    assert server.answer(body, signed(SECRET, int(time.time()), body)) == (200, b'{"pong": true}')
    status, answer = server.answer(body)
    assert (status, json.loads(answer)) == (401, {"error": "the request is not signed: x-easytask-timestamp is missing"})
