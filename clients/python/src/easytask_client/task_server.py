"""A task server for synchronous code: on the standard library's http.server,
or mounted into a WSGI app (Flask, Django …)."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from easytask.v1.callback_pb2 import TaskCallbackRequest

from .client import Client
from .context import TaskContext
from .errors import TaskServerError
from .hangup import hangup_event
from .protocol import Answer, Call, CallbackProtocol, TaskResult, error, log
from .signature import DEFAULT_SIGNATURE_TOLERANCE_SEC

#: A handler of ``TaskServer``: the task and its context, to its result.
Handler = Callable[[TaskCallbackRequest, TaskContext], TaskResult]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TaskServer:
    """Runs ``handler`` for every task callback, and registers itself as a route
    of task server ``name``.

    ``handler(task, ctx)`` gets a ``TaskCallbackRequest`` and a ``TaskContext``
    and returns a ``TaskCallbackResponse`` or a dict of its fields:
    ``is_success`` and ``extra``, or ``is_run_in_async=True`` and a later
    ``confirm``. An exception answers ``is_success=False`` with its text as
    ``extra``.

    Served by ``start``/``stop`` (or ``with``) on its own ``http.server``, or
    mounted into a WSGI app (``wsgi``, ``wsgi_middleware``) with ``register``
    and ``unregister`` around it.

    A heartbeat is told from a task by the absence of ``task_id``, not by
    ``cmd``, so the server works with either ``callback_cmd_numbering`` and
    with the Go original. With a ``secret`` (16 to 256 visible ASCII
    characters), it is registered, and every callback and heartbeat must be
    signed with it: others are answered HTTP 401 and the handler does not run.
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
        self._protocol = CallbackProtocol(
            name,
            handler,
            advertise_host=advertise_host or host,
            port=port,
            callback_timeout_sec=callback_timeout_sec,
            health_check=health_check,
            max_body_bytes=max_body_bytes,
            secret=secret,
            signature_tolerance_sec=signature_tolerance_sec,
        )
        self._client = client
        self._handler = handler
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def advertise_host(self) -> str:
        return self._protocol.advertise_host

    @property
    def port(self) -> int:
        """The port listened on once started; else the ``port`` given."""
        return self._address[1] if self._server is None else self._server.server_address[1]

    def start(self) -> None:
        """Listens, serves on a background thread, and calls AddTaskServer.
        Raises ``TaskServerError`` saying which of the two failed."""
        if self._server is not None:
            raise RuntimeError("easytask: TaskServer already started")
        host, port = self._address
        try:
            server = ThreadingHTTPServer(self._address, _request_handler(self))
        except OSError as err:
            raise TaskServerError(f"easytask: listening for task server {self._protocol.name} on {host}:{port}: {err}") from err
        self._thread = threading.Thread(target=server.serve_forever, name=f"easytask-{self._protocol.name}", daemon=True)
        self._thread.start()
        self._server = server
        try:
            self.register()
        except BaseException:
            self._close()
            raise

    def stop(self) -> None:
        """Calls DelTaskServer, then stops listening."""
        if self._server is None:
            return
        try:
            self.unregister()
        finally:
            self._close()

    def register(self) -> None:
        """Calls AddTaskServer for this route (``advertise_host`` and ``port``):
        ``start`` does; call it yourself when the server is mounted into an app.
        Raises ``TaskServerError``, with the ``ConnectError`` as its cause."""
        if self.port == 0:
            raise ValueError("easytask: register needs the port the scheduler calls: give TaskServer the port your app listens on")
        try:
            self._client.registry.add_task_server(self._protocol.add_request(self.port))
        except Exception as err:
            raise TaskServerError(f"easytask: registering task server {self._protocol.name}: {err}") from err

    def unregister(self) -> None:
        """Calls DelTaskServer for this route."""
        self._client.registry.del_task_server(self._protocol.del_request(self.port))

    def confirm(self, task: TaskCallbackRequest, is_success: bool, extra: str = "") -> None:
        """Reports the outcome of a run the handler answered with is_run_in_async."""
        self._client.tasks.confirm_task(CallbackProtocol.confirm_request(task, is_success, extra))

    def __enter__(self) -> TaskServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def answer(self, body: bytes, headers: Any = None, path: str = "/", cancelled: threading.Event | None = None) -> Answer:
        """The protocol without an HTTP server: the status and JSON answer to a
        request's raw body, headers (a dict, anything with ``items()``, or
        pairs; needed with a ``secret``) and path. ``cancelled``, if given, is
        the handler's ``ctx.cancelled``."""
        call = self._protocol.read(body, headers, path)
        if not isinstance(call, Call):
            return call
        task, ctx = call.task, call.ctx
        if cancelled is not None:
            ctx = dataclasses.replace(ctx, cancelled=cancelled)
        try:
            result: object = self._handler(task, ctx)
        except Exception as err:
            result = CallbackProtocol.failed(task, err)
        return CallbackProtocol.encode(task, result)

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """A WSGI app that answers the scheduler's requests at every path.
        ``ctx.cancelled`` is set when the scheduler hangs up, under servers that
        give the connection (Werkzeug, as in ``flask run``; Gunicorn)."""
        status, body = self._wsgi_answer(environ)
        start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def wsgi_middleware(self, app: WSGIApp, prefix: str) -> WSGIApp:
        """Wraps a WSGI app: the scheduler's requests, heartbeats (``POST /``)
        and callbacks (``POST`` to paths under ``prefix``, the tasks'
        callback_path), go to ``wsgi``; everything else to ``app``."""
        if not prefix.startswith("/") or prefix == "/":
            raise ValueError(f"easytask: prefix {prefix!r} must be a path such as '/easytask'")
        prefix = prefix.rstrip("/") + "/"

        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
            if environ.get("REQUEST_METHOD") == "POST" and (path == "/" or path.startswith(prefix)):
                return self.wsgi(environ, start_response)
            return app(environ, start_response)

        return middleware

    def _wsgi_answer(self, environ: dict[str, Any]) -> Answer:
        if environ.get("REQUEST_METHOD") != "POST":
            return error(405, "easytask callbacks are POST requests")
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return error(411, "a Content-Length is required")
        if length > self._protocol.max_body_bytes:
            return error(413, f"body over {self._protocol.max_body_bytes} bytes")
        body = environ["wsgi.input"].read(length)
        headers = [(key[5:].replace("_", "-").lower(), value) for key, value in environ.items() if key.startswith("HTTP_")]
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        connection = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
        with hangup_event(connection if isinstance(connection, socket.socket) else None) as cancelled:
            return self.answer(body, headers, path or "/", cancelled)

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
                return self._send(*error(411, "a Content-Length is required"))
            if length > task_server._protocol.max_body_bytes:
                return self._send(*error(413, f"body over {task_server._protocol.max_body_bytes} bytes"))
            body = self.rfile.read(length)
            with hangup_event(self.connection) as cancelled:
                answer = task_server.answer(body, self.headers, self.path.split("?")[0], cancelled)
            if not cancelled.is_set():
                self._send(*answer)

        def do_GET(self) -> None:
            self._send(*error(405, "easytask callbacks are POST requests"))

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug(format, *args)

    return _Callback
