"""A task server on the standard library's http.server, serving the easytask
callback protocol with one handler function."""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from easytask.v1.callback_pb2 import HeartbeatResponse, TaskCallbackRequest, TaskCallbackResponse
from easytask.v1.registry_pb2 import AddTaskServerRequest, DelTaskServerRequest
from easytask.v1.task_pb2 import ConfirmTaskRequest
from google.protobuf import json_format
from google.protobuf.message import Message

from .client import Client
from .signature import DEFAULT_SIGNATURE_TOLERANCE_SEC, Headers, SignatureError, verify_signature

log = logging.getLogger("easytask_client")

Handler = Callable[[TaskCallbackRequest], TaskCallbackResponse]


def _wire(message: Message) -> bytes:
    # As the scheduler's task servers always answered: proto field names,
    # zero values included.
    return json.dumps(
        json_format.MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
    ).encode()


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""


class TaskServer:
    """Runs ``handler`` for every task callback and registers itself as a route
    of task server ``name`` while running (``start``/``stop``, or ``with``).

    The handler gets a ``TaskCallbackRequest`` and returns a
    ``TaskCallbackResponse``: ``is_success`` and ``extra``, or
    ``is_run_in_async=True`` and a later ``confirm``. An exception answers
    ``is_success=False`` with its text as ``extra``.

    A heartbeat is told from a task by the absence of ``task_id``, not by
    ``cmd``, so the server works with either ``callback_cmd_numbering`` and
    with the Go original.

    With a ``secret`` (16 to 256 visible ASCII characters), ``start``
    registers it, and every callback and heartbeat must be signed with it:
    others are answered HTTP 401 and the handler does not run.
    """

    def __init__(
        self,
        client: Client,
        name: str,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        advertise_host: str | None = None,
        callback_timeout_sec: int = 0,
        health_check: bool = True,
        max_body_bytes: int = 1 << 20,
        secret: str | None = None,
        signature_tolerance_sec: float = DEFAULT_SIGNATURE_TOLERANCE_SEC,
    ) -> None:
        if not name:
            raise ValueError("easytask: TaskServer needs a name (the srv_name of its tasks)")
        if not callable(handler):
            raise TypeError("easytask: TaskServer needs a handler function")
        if secret == "":
            raise ValueError("easytask: TaskServer secret is empty: leave it out for unsigned callbacks")
        if not 0 <= port <= 65535:
            raise ValueError(f"easytask: port {port} is not a port")
        self.advertise_host = advertise_host or host
        if _is_wildcard(self.advertise_host):
            raise ValueError(f"easytask: listening on {host!r}, the scheduler needs an address to call: set advertise_host")
        self._client = client
        self._name = name
        self._handler = handler
        self._address = (host, port)
        self._callback_timeout_sec = callback_timeout_sec
        self._health_check = health_check
        self._max_body_bytes = max_body_bytes
        self._secret = secret
        self._signature_tolerance_sec = signature_tolerance_sec
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on, once started."""
        if self._server is None:
            raise RuntimeError("easytask: TaskServer is not started")
        return self._server.server_address[1]

    def start(self) -> None:
        """Listens, serves on a background thread, and calls AddTaskServer."""
        if self._server is not None:
            raise RuntimeError("easytask: TaskServer already started")
        server = ThreadingHTTPServer(self._address, _request_handler(self))
        self._thread = threading.Thread(target=server.serve_forever, name=f"easytask-{self._name}", daemon=True)
        self._thread.start()
        self._server = server
        try:
            self._client.registry.add_task_server(
                AddTaskServerRequest(
                    name=self._name,
                    schema="http",
                    host=self.advertise_host,
                    port=self.port,
                    callback_timeout_sec=self._callback_timeout_sec,
                    is_enable_health_check=self._health_check,
                    # Absent, not empty: "" would remove the task server's secret.
                    **({} if self._secret is None else {"secret": self._secret}),
                )
            )
        except BaseException:
            self._close()
            raise

    def stop(self) -> None:
        """Calls DelTaskServer, then stops listening."""
        if self._server is None:
            return
        try:
            self._client.registry.del_task_server(
                DelTaskServerRequest(name=self._name, schema="http", host=self.advertise_host, port=self.port)
            )
        finally:
            self._close()

    def confirm(self, task: TaskCallbackRequest, is_success: bool, extra: str = "") -> None:
        """Reports the outcome of a run the handler answered with is_run_in_async."""
        self._client.tasks.confirm_task(
            ConfirmTaskRequest(task_id=task.task_id, task_run_times=task.run_times, is_success=is_success, extra=extra)
        )

    def __enter__(self) -> TaskServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, body: bytes, headers: Headers | None = None) -> tuple[int, bytes]:
        """The protocol without the HTTP server: the status and JSON answer to a
        callback's raw body and headers (needed with a ``secret``), for serving
        it from a web framework of your own."""
        if self._secret is not None:
            try:
                verify_signature(self._secret, headers or {}, body, self._signature_tolerance_sec)
            except SignatureError as err:
                return _error(401, str(err))
        try:
            fields = json.loads(body)
        except ValueError:
            return _error(400, "body is not a JSON object")
        if not isinstance(fields, dict):
            return _error(400, "body is not a JSON object")
        if "task_id" not in fields:
            return 200, _wire(HeartbeatResponse(pong=True))
        try:
            task = json_format.ParseDict(fields, TaskCallbackRequest(), ignore_unknown_fields=True)
        except json_format.ParseError as err:
            return _error(400, f"body is not a task callback: {err}")
        try:
            result = self._handler(task)
        except Exception as err:  # the run fails; the scheduler records why
            log.warning("task %s run %s failed", task.task_id, task.run_times, exc_info=True)
            result = TaskCallbackResponse(is_success=False, extra=str(err))
        if not isinstance(result, TaskCallbackResponse):
            return _error(500, f"the handler returned {type(result).__name__}, not a TaskCallbackResponse")
        return 200, _wire(result)

    def _close(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = None


def _request_handler(task_server: TaskServer) -> type[BaseHTTPRequestHandler]:
    class _Callback(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._send(*_error(411, "a Content-Length is required"))
            if length > task_server._max_body_bytes:
                return self._send(*_error(413, f"body over {task_server._max_body_bytes} bytes"))
            self._send(*task_server.answer(self.rfile.read(length), self.headers))

        def do_GET(self) -> None:
            self._send(*_error(405, "easytask callbacks are POST requests"))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

    return _Callback
